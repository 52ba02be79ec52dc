import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * The console's pages may run only its own files and call only this origin: no inline script, no
 * other host (the API is the same origin; Keystone is reached through /console/api/token).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface ConsoleFile {
  body: Buffer;
  type: string;
}

/** Every file of the built console, by its path under /console/ (a few files, read once at start). */
export function readConsoleFiles(dir: string): Map<string, ConsoleFile> {
  const root = resolve(dir);
  const files = new Map<string, ConsoleFile>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const full = join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(relative(root, full).split(sep).join('/'), { body: readFileSync(full), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  };
  try {
    walk(root);
  } catch {
    files.clear();
  }
  return files;
}

/**
 * GET /console/ and its files, from CONSOLE_DIR read at start: only files that are there are
 * served (a path is a key of the map, never joined onto the disk), so no path can leave the
 * directory. Vite names assets by content hash: they are cached for good; the page never is.
 */
export function installConsoleFiles(fastify: FastifyInstance, dir: string, logger: Logger): void {
  const files = readConsoleFiles(dir);
  if (!files.has('index.html')) logger.warn({ CONSOLE_DIR: resolve(dir) }, 'no built web console there (nx build console): /console/ answers 404');
  fastify.get('/console', (_req, reply) => reply.redirect('/console/', 302));
  fastify.get<{ Params: { '*': string } }>('/console/*', (req, reply) => {
    const path = req.params['*'] || 'index.html';
    const file = files.get(path);
    if (!file) return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    return reply
      .headers({
        'content-type': file.type,
        'content-security-policy': CONSOLE_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      })
      .send(file.body);
  });
}
