import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import sharp from 'sharp';
import { z } from 'zod';
import { logoUpload, OrganizationLogo, Problem } from '@cbp/contracts';
import type { ObjectStorage } from '../../adapters/storage/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext } from '../../platform/context.js';
import { withTenant, type AppDb, type TenantTx } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { tenantContext } from '../../platform/guard.js';
import { organizationLogos, tenants } from '../../platform/schema.js';

// The organization's logo (issue 15, acceptance 3): PUT (multipart, field `file`), GET, DELETE.
// The upload is checked by content (magic bytes, then a real decode by sharp), never by its name
// or declared type; SVG is refused (it can carry scripts). The stored image is a 256x256 PNG
// re-encoded by sharp (metadata dropped), under a content-addressed key in object storage.
// GET needs the bearer token like every tenant route (analyst+): the portal fetches it with the
// token and shows an object URL; ETag + If-None-Match keep repeated fetches to a 304.

export interface LogoDeps {
  db: AppDb;
  storage: ObjectStorage;
}

type LogoRow = typeof organizationLogos.$inferSelect;

/** Multipart overhead allowed on top of the file (boundaries, part headers, other small fields). */
const multipartOverhead = 16 * 1024;
const megabytes = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
const tooLarge = (bytes: number | null) =>
  new AppError(413, 'BAD_REQUEST', `The logo is ${bytes === null ? 'larger than 1 MB' : megabytes(bytes)}; the maximum is 1 MB. Upload a smaller PNG, JPEG or WebP.`);
const svgRefused = () => new AppError(415, 'BAD_REQUEST', 'SVG logos are not accepted; upload PNG, JPEG or WebP.');
const notAnImage = () =>
  new AppError(415, 'BAD_REQUEST', 'The file is not a PNG, JPEG or WebP image (its content is checked, not its name). Upload PNG, JPEG or WebP.');

type ImageFormat = 'png' | 'jpeg' | 'webp';

/** The image format the bytes start with, or null. */
export function sniffImage(data: Buffer): ImageFormat | 'svg' | null {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  // SVG is text: an XML prolog, a comment or the <svg> element itself, after a BOM and whitespace.
  const head = data.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (head.startsWith('<') && head.includes('<svg')) return 'svg';
  return null;
}

/** The `file` part of a multipart/form-data body (the first part with a filename if none is named `file`). */
export function multipartFile(body: Buffer, contentType: string): { filename: string | null; data: Buffer } | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) return null;
  const delimiter = Buffer.from(`--${marker}`);
  const parts: { name: string | null; filename: string | null; data: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString('latin1') === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd === -1) break;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next === -1) break;
    const headers = body.subarray(start, headerEnd).toString('utf8');
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    parts.push({
      name: /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? null,
      filename: /\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? null,
      data: body.subarray(headerEnd + 4, next),
    });
    at = next + 2;
  }
  const part = parts.find((p) => p.name === 'file') ?? parts.find((p) => p.filename !== null);
  return part ? { filename: part.filename, data: part.data } : null;
}

/** Checks the upload by content and re-encodes it to the stored square PNG. */
export async function logoThumbnail(data: Buffer): Promise<{ png: Buffer; width: number; height: number }> {
  if (data.length > logoUpload.maxBytes) throw tooLarge(data.length);
  const kind = sniffImage(data);
  if (kind === 'svg') throw svgRefused();
  if (kind === null) throw notAnImage();
  try {
    // A real decode: the declared format must be what sharp finds, and the whole image must decode.
    const meta = await sharp(data, { failOn: 'error', limitInputPixels: 50_000_000 }).metadata();
    if (meta.format !== kind) throw notAnImage();
    const size = logoUpload.size;
    const { data: png, info } = await sharp(data, { failOn: 'error', limitInputPixels: 50_000_000 })
      .rotate()
      .resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .png({ compressionLevel: 9 })
      .toBuffer({ resolveWithObject: true });
    return { png, width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(415, 'BAD_REQUEST', 'The image could not be read (damaged or incomplete file). Upload a valid PNG, JPEG or WebP.');
  }
}

const logoFrom = (row: LogoRow): OrganizationLogo => ({
  etag: row.etag,
  contentType: 'image/png',
  sizeBytes: row.sizeBytes,
  width: row.width,
  height: row.height,
  updatedAt: row.updatedAt.toISOString(),
});

async function logoRow(tx: TenantTx, tenantId: string, { lock = false } = {}): Promise<LogoRow | undefined> {
  const query = tx.select().from(organizationLogos).where(eq(organizationLogos.tenantId, tenantId));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

async function tenantNameIn(tx: TenantTx, tenantId: string): Promise<string> {
  const [row] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId));
  return row?.name ?? '';
}

/** Removes a replaced object once no committed row points at it (a crash leaves it: harmless). */
async function dropIfUnreferenced(deps: LogoDeps, tenantId: string, key: string | undefined, log: (err: unknown) => void): Promise<void> {
  if (!key) return;
  try {
    const current = await withTenant(deps.db, tenantId, (tx) => logoRow(tx, tenantId));
    if (current?.storageKey !== key) await deps.storage.delete(key);
  } catch (err) {
    log(err);
  }
}

/** Every logo object of the tenant is under this prefix (organization deletion removes it whole, unreferenced leftovers too). */
export const logoPrefixOf = (tenantId: string) => `tenants/${tenantId}/logo/`;

/**
 * Stores the thumbnail first (content-addressed key), then the row with its audit entry in one
 * transaction: a crash between them leaves an unreferenced object, never a row without its file.
 */
export async function putLogo(deps: LogoDeps, ctx: TenantContext, upload: Buffer, log: (err: unknown) => void): Promise<OrganizationLogo> {
  const { png, width, height } = await logoThumbnail(upload);
  const etag = createHash('sha256').update(png).digest('hex');
  const storageKey = `${logoPrefixOf(ctx.tenantId)}${etag}.png`;
  await deps.storage.put(storageKey, png, 'image/png');
  const { saved, previousKey } = await withTenant(deps.db, ctx.tenantId, async (tx) => {
    const before = await logoRow(tx, ctx.tenantId, { lock: true });
    const values = { tenantId: ctx.tenantId, storageKey, etag, contentType: 'image/png', sizeBytes: png.length, width, height, updatedAt: new Date() };
    const [row] = await tx
      .insert(organizationLogos)
      .values(values)
      .onConflictDoUpdate({ target: organizationLogos.tenantId, set: { storageKey, etag, contentType: 'image/png', sizeBytes: png.length, width, height, updatedAt: new Date() } })
      .returning();
    if (!row) throw new Error('logo row not saved');
    await recordAuditEntry(tx, ctx, {
      action: 'organization.logo_updated',
      targetType: 'organization',
      targetId: ctx.tenantId,
      targetName: await tenantNameIn(tx, ctx.tenantId),
      before: before ? { etag: before.etag, sizeBytes: before.sizeBytes } : null,
      after: { etag, sizeBytes: png.length, width, height },
    });
    return { saved: row, previousKey: before?.storageKey };
  });
  if (previousKey !== storageKey) await dropIfUnreferenced(deps, ctx.tenantId, previousKey, log);
  return logoFrom(saved);
}

export async function removeLogo(deps: LogoDeps, ctx: TenantContext, log: (err: unknown) => void): Promise<void> {
  const key = await withTenant(deps.db, ctx.tenantId, async (tx) => {
    const before = await logoRow(tx, ctx.tenantId, { lock: true });
    if (!before) throw notFound('Logo');
    await tx.delete(organizationLogos).where(eq(organizationLogos.tenantId, ctx.tenantId));
    await recordAuditEntry(tx, ctx, {
      action: 'organization.logo_removed',
      targetType: 'organization',
      targetId: ctx.tenantId,
      targetName: await tenantNameIn(tx, ctx.tenantId),
      before: { etag: before.etag, sizeBytes: before.sizeBytes },
      after: null,
    });
    return before.storageKey;
  });
  await dropIfUnreferenced(deps, ctx.tenantId, key, log);
}

export async function readLogo(deps: LogoDeps, tenantId: string): Promise<{ row: LogoRow; data: () => Promise<Buffer | null> } | null> {
  const row = await withTenant(deps.db, tenantId, (tx) => logoRow(tx, tenantId));
  return row ? { row, data: () => deps.storage.get(row.storageKey) } : null;
}

const security = [{ bearer: [], tenant: [] }];
const tags = ['organization'];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };

/** `If-None-Match` holds the ETag (strong or weak form, or `*`). */
const matches = (header: string | undefined, etag: string) =>
  !!header && header.split(',').some((v) => ['*', `"${etag}"`, `W/"${etag}"`].includes(v.trim()));

export const organizationLogoRoutes: FastifyPluginAsyncZod<LogoDeps> = async (app, deps) => {
  // multipart/form-data, read whole up to 1 MB of file plus the form's overhead (this plugin
  // only). Too large is refused while reading, as problem+json, before the rest is buffered.
  app.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    const limit = logoUpload.maxBytes + multipartOverhead;
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      payload.resume();
      done(tooLarge(declared - multipartOverhead > logoUpload.maxBytes ? null : declared), undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    payload.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        done(tooLarge(null), undefined);
        return;
      }
      chunks.push(chunk);
    });
    payload.on('end', () => {
      if (!failed) done(null, Buffer.concat(chunks));
    });
    payload.on('error', (err: Error) => {
      if (!failed) done(err, undefined);
    });
  });

  app.get(
    '/organization/logo',
    {
      schema: {
        tags,
        summary: "The organization's logo (256x256 PNG) with ETag; 304 when If-None-Match holds it",
        security,
        produces: ['image/png'],
        response: { 200: z.any().describe('image/png'), 304: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const logo = await readLogo(deps, tenantContext(request).tenantId);
      if (!logo) throw notFound('Logo');
      // Tenant data behind a token: private caches only, revalidated each time (a 304 is cheap).
      reply.header('cache-control', 'private, no-cache').header('etag', `"${logo.row.etag}"`).header('last-modified', logo.row.updatedAt.toUTCString());
      if (matches(request.headers['if-none-match'], logo.row.etag)) return reply.code(304).send(null);
      const data = await logo.data();
      if (!data) throw notFound('Logo');
      return reply.type('image/png').send(data);
    },
  );
  app.put(
    '/organization/logo',
    {
      schema: {
        tags,
        summary: 'Upload the logo (multipart/form-data, field `file`): PNG, JPEG or WebP up to 1 MB, checked by content; SVG refused; stored as a 256x256 PNG',
        security,
        consumes: ['multipart/form-data'],
        response: { 200: OrganizationLogo, 413: Problem, 415: Problem, ...errors },
      },
    },
    async (request) => {
      const body = request.body;
      const file = Buffer.isBuffer(body) ? multipartFile(body, String(request.headers['content-type'] ?? '')) : null;
      if (!file || file.data.length === 0) {
        throw new AppError(400, 'VALIDATION_FAILED', 'Choose an image file to upload (multipart/form-data field "file").', [
          { path: 'body.file', message: 'Choose a PNG, JPEG or WebP file.' },
        ]);
      }
      return putLogo(deps, tenantContext(request), file.data, (err) => request.log.warn({ err }, 'replaced logo object not removed'));
    },
  );
  app.delete(
    '/organization/logo',
    { schema: { tags, summary: 'Remove the logo (the header falls back to the initials)', security, response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      await removeLogo(deps, tenantContext(request), (err) => request.log.warn({ err }, 'removed logo object not deleted'));
      return reply.code(204).send(null);
    },
  );
};
