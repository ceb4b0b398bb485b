import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the part of the S3 API that CBP's S3 adapter calls
 * (src/adapters/storage/s3.ts), so the real `@aws-sdk/client-s3` and `@aws-sdk/lib-storage` are
 * exercised offline: PutObject, GetObject, HeadObject, DeleteObject, the multipart upload
 * (CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload) and, on the
 * bucket, ListObjectsV2 (pages of `max-keys`, at most 1000) and DeleteObjects (at most 1000 keys,
 * with the Content-MD5 or checksum header S3 requires), path-style
 * (`/<bucket>/<key>`), objects in memory. Every request must carry a valid AWS Signature V4
 * (`Authorization: AWS4-HMAC-SHA256 ...`), checked here by an implementation independent of the
 * SDK's: the canonical request, the signing key derived from the secret, the signed payload hash
 * against the body. Anything else answers 501 and is kept in `unexpected`. Errors are S3's XML.
 */

export type S3Operation =
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListObjectsV2'
  | 'DeleteObjects';

export interface RecordedS3Request {
  operation: S3Operation | 'unsupported';
  method: string;
  /** The object's key ('' for a bucket operation: ListObjectsV2, DeleteObjects). */
  key: string;
  /** Bytes of the request body. */
  bytes: number;
}

export interface FakeObject {
  data: Buffer;
  contentType: string;
  etag: string;
}

export interface FakeS3 {
  url: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  objects: Map<string, FakeObject>;
  /** Multipart uploads begun and neither completed nor aborted. */
  openUploads(): number;
  requests: RecordedS3Request[];
  /** Requests refused: bad signature, another bucket, an operation CBP does not use. */
  unexpected: string[];
  /** The next `count` requests of `operation` (on keys matching `key`, if given) answer `status` (S3's error XML) without effect. */
  failNext(operation: S3Operation, status: number, count?: number, key?: RegExp): void;
  /** Forgets the injected failures not yet used. */
  clearFaults(): void;
  /** Requests of one operation (optionally on one key). */
  count(operation: S3Operation, key?: string): number;
  close(): Promise<void>;
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const errorXml = (code: string, message: string) => xml(`<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding, as SigV4 wants it. */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const authPattern = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Why the request's signature is wrong, or null when it is right. */
function signatureProblem(req: IncomingMessage, rawPath: string, rawQuery: string, body: Buffer, fake: { accessKeyId: string; secretAccessKey: string; region: string }): string | null {
  const auth = req.headers.authorization;
  if (!auth) return 'no Authorization header';
  const m = authPattern.exec(auth);
  if (!m) return `not a SigV4 Authorization header: ${auth}`;
  const [, accessKeyId = '', date = '', region = '', signedHeaders = '', signature = ''] = m;
  if (accessKeyId !== fake.accessKeyId) return `unknown access key ${accessKeyId}`;
  if (region !== fake.region) return `credential scope region ${region}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date)) return 'x-amz-date does not match the credential scope';
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
  if (!payloadHash) return 'no x-amz-content-sha256';
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body)) return 'the body does not match x-amz-content-sha256';
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return 'host and x-amz-date must be signed';
  const query = rawQuery
    ? rawQuery
        .split('&')
        .map((pair) => {
          const [k = '', v = ''] = pair.split('=');
          return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))] as const;
        })
        .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join('&')
    : '';
  const headers = names.map((n) => {
    const value = req.headers[n];
    return `${n}:${(Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ')}\n`;
  });
  const canonical = [req.method ?? '', rawPath, query, headers.join(''), signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${fake.secretAccessKey}`, date), region), 's3'), 'aws4_request');
  return hmac(key, toSign).toString('hex') === signature ? null : 'SignatureDoesNotMatch';
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const xmlUnescape = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-fA-F]+));/g, (_m, name: string, dec?: string, hex?: string) =>
    dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[name] ?? '',
  );

function operationOf(method: string, params: URLSearchParams, key: string): S3Operation | null {
  if (!key) {
    if (method === 'GET' && params.get('list-type') === '2') return 'ListObjectsV2';
    if (method === 'POST' && params.has('delete')) return 'DeleteObjects';
    return null;
  }
  if (method === 'PUT') return params.has('uploadId') ? 'UploadPart' : 'PutObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return params.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  if (method === 'POST' && params.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && params.has('uploadId')) return 'CompleteMultipartUpload';
  return null;
}

export async function startFakeS3({ bucket = 'cbp-test', region = 'us-east-1' }: { bucket?: string; region?: string } = {}): Promise<FakeS3> {
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(20).toString('base64');
  const objects = new Map<string, FakeObject>();
  const uploads = new Map<string, { key: string; contentType: string; parts: Map<number, Buffer> }>();
  const requests: RecordedS3Request[] = [];
  const unexpected: string[] = [];
  const faults: { operation: S3Operation; status: number; left: number; key: RegExp | undefined }[] = [];

  function send(res: ServerResponse, status: number, body = '', headers: Record<string, string | number> = {}) {
    res.writeHead(status, { ...(body ? { 'content-type': 'application/xml' } : {}), 'x-amz-request-id': randomBytes(8).toString('hex'), ...headers });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const rawUrl = req.url ?? '/';
    const [rawPath = '/', rawQuery = ''] = rawUrl.split('?');
    const params = new URLSearchParams(rawQuery);
    const method = req.method ?? 'GET';
    const [, first = '', ...rest] = rawPath.split('/');
    const key = rest.map((s) => decodeURIComponent(s)).join('/');
    const operation = operationOf(method, params, key);
    requests.push({ operation: operation ?? 'unsupported', method, key, bytes: body.length });

    const problem = signatureProblem(req, rawPath, rawQuery, body, { accessKeyId, secretAccessKey, region });
    if (problem) {
      unexpected.push(`${method} ${rawUrl}: ${problem}`);
      return send(res, 403, errorXml(problem === 'SignatureDoesNotMatch' ? problem : 'AccessDenied', problem));
    }
    if (decodeURIComponent(first) !== bucket || (!key && operation !== 'ListObjectsV2' && operation !== 'DeleteObjects')) {
      unexpected.push(`${method} ${rawUrl}: not a path-style request on bucket ${bucket}`);
      return send(res, 404, errorXml('NoSuchBucket', 'The specified bucket does not exist'));
    }
    if (!operation) {
      unexpected.push(`${method} ${rawUrl}: unsupported operation`);
      return send(res, 501, errorXml('NotImplemented', 'Not implemented by the fake'));
    }
    const fault = faults.find((f) => f.operation === operation && f.left > 0 && (!f.key || f.key.test(key)));
    if (fault) {
      fault.left--;
      const code = fault.status === 503 ? 'SlowDown' : fault.status === 403 ? 'AccessDenied' : fault.status >= 500 ? 'InternalError' : 'InvalidRequest';
      return send(res, fault.status, method === 'HEAD' ? '' : errorXml(code, 'Injected failure'));
    }

    switch (operation) {
      case 'PutObject': {
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        objects.set(key, { data: body, contentType: String(req.headers['content-type'] ?? 'application/octet-stream'), etag });
        return send(res, 200, '', { etag });
      }
      case 'GetObject':
      case 'HeadObject': {
        const found = objects.get(key);
        if (!found) return send(res, 404, operation === 'GetObject' ? errorXml('NoSuchKey', 'The specified key does not exist.') : '');
        res.writeHead(200, { 'content-type': found.contentType, 'content-length': found.data.length, etag: found.etag, 'last-modified': new Date().toUTCString() });
        return res.end(operation === 'GetObject' ? found.data : undefined);
      }
      case 'DeleteObject':
        objects.delete(key);
        return send(res, 204);
      case 'CreateMultipartUpload': {
        const uploadId = randomBytes(12).toString('hex');
        uploads.set(uploadId, { key, contentType: String(req.headers['content-type'] ?? 'application/octet-stream'), parts: new Map() });
        return send(res, 200, xml(`<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`));
      }
      case 'UploadPart': {
        const upload = uploads.get(params.get('uploadId') ?? '');
        if (!upload || upload.key !== key) return send(res, 404, errorXml('NoSuchUpload', 'The specified upload does not exist.'));
        upload.parts.set(Number(params.get('partNumber')), body);
        return send(res, 200, '', { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      }
      case 'CompleteMultipartUpload': {
        const uploadId = params.get('uploadId') ?? '';
        const upload = uploads.get(uploadId);
        if (!upload || upload.key !== key) return send(res, 404, errorXml('NoSuchUpload', 'The specified upload does not exist.'));
        const numbers = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((n) => Number(n[1]));
        const parts = numbers.map((n) => upload.parts.get(n));
        if (numbers.length === 0 || parts.some((p) => !p)) return send(res, 400, errorXml('InvalidPart', 'One or more of the specified parts could not be found.'));
        const data = Buffer.concat(parts as Buffer[]);
        const etag = `"${createHash('md5').update(data).digest('hex')}-${numbers.length}"`;
        objects.set(key, { data, contentType: upload.contentType, etag });
        uploads.delete(uploadId);
        return send(res, 200, xml(`<CompleteMultipartUploadResult><Location>/${bucket}/${key}</Location><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`));
      }
      case 'AbortMultipartUpload':
        uploads.delete(params.get('uploadId') ?? '');
        return send(res, 204);
      case 'ListObjectsV2': {
        const prefix = params.get('prefix') ?? '';
        const maxKeys = Math.min(1000, Number(params.get('max-keys') ?? 1000));
        // The continuation token is the last key of the previous page (S3's are opaque).
        const token = params.get('continuation-token');
        const after = token ? Buffer.from(token, 'base64url').toString('utf8') : (params.get('start-after') ?? '');
        const matching = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
        const page = matching.slice(0, maxKeys);
        const truncated = matching.length > page.length;
        const urlEncoded = params.get('encoding-type') === 'url';
        const name = (k: string) => xmlEscape(urlEncoded ? encodeURIComponent(k).replace(/%2F/g, '/') : k);
        const contents = page
          .map((k) => `<Contents><Key>${name(k)}</Key><LastModified>${new Date().toISOString()}</LastModified><ETag>${xmlEscape(objects.get(k)?.etag ?? '')}</ETag><Size>${objects.get(k)?.data.length ?? 0}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
          .join('');
        const next = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1) ?? '').toString('base64url')}</NextContinuationToken>` : '';
        return send(
          res,
          200,
          xml(
            `<ListBucketResult><Name>${bucket}</Name><Prefix>${name(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>${urlEncoded ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>${token ? `<ContinuationToken>${token}</ContinuationToken>` : ''}${next}${contents}</ListBucketResult>`,
          ),
        );
      }
      case 'DeleteObjects': {
        if (!req.headers['content-md5'] && !Object.keys(req.headers).some((h) => h.startsWith('x-amz-checksum-'))) {
          return send(res, 400, errorXml('InvalidRequest', 'Missing required header for this request: Content-MD5'));
        }
        const text = body.toString('utf8');
        const keys = [...text.matchAll(/<Object>\s*<Key>([^<]*)<\/Key>/g)].map((m) => xmlUnescape(m[1] ?? ''));
        if (keys.length === 0 || keys.length > 1000) return send(res, 400, errorXml('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema'));
        const quiet = /<Quiet>true<\/Quiet>/.test(text);
        for (const k of keys) objects.delete(k);
        return send(res, 200, xml(`<DeleteResult>${quiet ? '' : keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('')}</DeleteResult>`));
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      unexpected.push(`${req.method} ${req.url}: ${String(err)}`);
      if (!res.headersSent) send(res, 500, errorXml('InternalError', String(err)));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    region,
    accessKeyId,
    secretAccessKey,
    objects,
    openUploads: () => uploads.size,
    requests,
    unexpected,
    failNext(operation, status, count = 1, key) {
      faults.push({ operation, status, left: count, key });
    },
    clearFaults() {
      faults.length = 0;
    },
    count: (operation, key) => requests.filter((r) => r.operation === operation && (key === undefined || r.key === key)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
