/** The targets a data server writes, and which request may write one: path, method and the per-migration secret. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { DurableFile } from './durable-file';

export interface MigrationTarget {
  migrationId: string;
  /** The destination file; it must exist, full size and sparse. */
  path: string;
  sizeBytes: number;
  secret: string;
}

export interface Target {
  spec: MigrationTarget;
  secretDigest: Buffer;
  file: Promise<DurableFile> | null;
  /** Requests and copy streams under way: dropped when the target goes. */
  active: Set<{ destroy(): void }>;
  handlers: Set<Promise<void>>;
}

export const MIGRATION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const SEGMENTS_PATH = /^\/migrations\/([^/]+)\/segments$/;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** The target a segment request or copy stream addresses, once its bearer secret is checked; else the HttpError to answer. */
export function authorise(req: IncomingMessage, targets: ReadonlyMap<string, Target>): { target: Target; sync: boolean } {
  const url = new URL(req.url ?? '/', 'http://data-server');
  const match = SEGMENTS_PATH.exec(url.pathname);
  const target = match ? targets.get(decodeURIComponent(match[1])) : undefined;
  if (!target) throw new HttpError(404, match ? 'no such migration target' : 'not found');
  if (req.method !== 'PUT') throw new HttpError(405, 'only PUT is allowed');
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) throw new HttpError(401, 'a bearer token is required');
  // Digests have equal lengths, which timingSafeEqual needs, and leak nothing of the secret's length.
  if (!timingSafeEqual(digest(token), target.secretDigest)) throw new HttpError(403, 'wrong secret');
  return { target, sync: url.searchParams.get('sync') === '1' };
}
