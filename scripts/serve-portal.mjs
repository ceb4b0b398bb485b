// Serves the built portal (apps/portal/dist) in production: static files, and index.html for
// every other path so that deep links (/billing/invoices/…) load the single-page app.
//   node scripts/serve-portal.mjs     PORTAL_PORT (27100), PORTAL_HOST (0.0.0.0), PORTAL_DIST
// Plain node:http, no dependencies. Hashed assets are cached for a year; index.html never.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.env.PORTAL_DIST ?? fileURLToPath(new URL('../apps/portal/dist', import.meta.url)));
const port = Number(process.env.PORTAL_PORT ?? 27100);
const host = process.env.PORTAL_HOST ?? '0.0.0.0';

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const security = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  // The OIDC silent renew loads /auth/silent-callback in an iframe of the portal itself.
  'x-frame-options': 'SAMEORIGIN',
};

async function fileAt(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  // No NUL, no backslash, no dot segment: no `..` out of the root, no dotfiles.
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').some((part) => part.startsWith('.'))) return null;
  const file = path.resolve(root, `.${decoded}`);
  if (!file.startsWith(root + path.sep)) return null;
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? { file, size: info.size } : null;
}

function send(req, res, status, found, headers) {
  res.writeHead(status, { ...security, 'content-type': types[path.extname(found.file)] ?? 'application/octet-stream', 'content-length': found.size, ...headers });
  if (req.method === 'HEAD') return res.end();
  createReadStream(found.file).on('error', () => res.destroy()).pipe(res);
}

export function createPortalServer() {
  return createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...security, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      return res.end('Method not allowed\n');
    }
    const urlPath = new URL(req.url ?? '/', 'http://portal').pathname;
    const found = urlPath === '/' ? null : await fileAt(urlPath);
    if (found) {
      const immutable = urlPath.startsWith('/assets/');
      return send(req, res, 200, found, { 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
    }
    // A missing file (a path with an extension, e.g. an old /assets/x.js) is a 404, not the app.
    if (urlPath !== '/' && path.extname(urlPath) && !urlPath.endsWith('.html')) {
      res.writeHead(404, { ...security, 'content-type': 'text/plain; charset=utf-8' });
      return res.end('Not found\n');
    }
    const index = await fileAt('/index.html');
    if (!index) {
      res.writeHead(503, { ...security, 'content-type': 'text/plain; charset=utf-8' });
      return res.end('The portal is not built: run npm run build.\n');
    }
    return send(req, res, 200, index, { 'cache-control': 'no-cache' });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const server = createPortalServer();
  server.listen(port, host, () => process.stdout.write(`  Portal (static)    http://${host}:${port} from ${root}\n`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
