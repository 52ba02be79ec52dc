import { FileHandle, link, mkdir, open, readdir, rename, stat, statfs, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { GIB } from '@volume/domain';
import { copyVolumeData, localSink } from '../copy/copy-engine';

/** Volume ids are UUIDs; anything else could walk out of the pool directory. */
const VOLUME_NAME = /^[A-Za-z0-9-]+$/;

/** A cross-filesystem move's copy is written under this suffix and renamed into place once synced. */
const STAGING_SUFFIX = '.moving';

export interface FileDriverOptions {
  /** Absolute; holds one directory per pool. */
  dataDir: string;
  pools: readonly string[];
  /** GiB per pool; 0 reports the filesystem's own size and free space. */
  poolCapacityGb: number;
}

export interface PoolCapacity {
  totalGb: number;
  freeGb: number;
}

export interface CreatedFile {
  path: string;
  /** False when the file was already there with the requested size. */
  created: boolean;
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

/**
 * The `file` backend: each volume is a sparse file `volume-<id>` in its pool's directory. A volume
 * takes no space until written, which is what lets pools be thin provisioned.
 */
export class FileDriver {
  readonly storageProtocol = 'local';
  readonly driverVersion = '1.0.0';
  readonly thinProvisioningSupport = true;
  readonly thickProvisioningSupport = false;

  constructor(private readonly opts: FileDriverOptions) {
    if (!isAbsolute(opts.dataDir)) throw new Error(`data directory ${opts.dataDir} must be absolute`);
  }

  get pools(): readonly string[] {
    return this.opts.pools;
  }

  hasPool(pool: string): boolean {
    return this.opts.pools.includes(pool);
  }

  async init(): Promise<void> {
    for (const pool of this.opts.pools) await mkdir(this.poolDir(pool), { recursive: true });
  }

  /** `volumeName` is the volume's `name_id` when it has one, else its id. */
  devicePath(pool: string, volumeName: string): string {
    if (!VOLUME_NAME.test(volumeName)) throw new Error(`invalid volume name ${JSON.stringify(volumeName)}`);
    return join(this.poolDir(pool), `volume-${volumeName}`);
  }

  /** Size in bytes, or null when the volume has no file. */
  async sizeOf(pool: string, volumeName: string): Promise<number | null> {
    try {
      return (await stat(this.devicePath(pool, volumeName))).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
  }

  /** Idempotent for the same size; refuses to resize a file that is already there. */
  async create(pool: string, volumeName: string, sizeGb: number): Promise<CreatedFile> {
    const path = this.devicePath(pool, volumeName);
    const bytes = sizeGb * GIB;
    let handle: FileHandle;
    try {
      handle = await open(path, 'wx');
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      const existing = (await stat(path)).size;
      if (existing === bytes) return { path, created: false };
      // No volume is 0 bytes long: an empty file is what a crash between open and ftruncate leaves.
      if (existing !== 0) throw new Error(`${path} already exists with ${existing} bytes, not ${bytes}`);
      handle = await open(path, 'r+');
    }
    try {
      await handle.truncate(bytes);
    } finally {
      await handle.close();
    }
    return { path, created: true };
  }

  /** Idempotent: a missing file counts as deleted. */
  async delete(pool: string, volumeName: string): Promise<void> {
    try {
      await unlink(this.devicePath(pool, volumeName));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }

  /**
   * A driver-assisted move's new location (Cinder: driver.migrate_volume): the volume's data also
   * in `toPool`, durable (file and directory entry synced), its file in `fromPool` untouched. A
   * hard link when both pools share a filesystem (instant, whatever the size), else a copy to a
   * staging name, synced, then renamed into place. Idempotent: a repeat after a crash finds the
   * link or makes the new location again.
   * @returns the new location's path.
   */
  async placeInPool(fromPool: string, toPool: string, volumeName: string): Promise<string> {
    const from = this.devicePath(fromPool, volumeName);
    const to = this.devicePath(toPool, volumeName);
    if (from === to) throw new Error(`${from} is already in pool ${toPool}`);
    try {
      await link(from, to);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST' && (await sameFile(from, to))) {
        // A repeat: the link is there.
      } else if (errnoCode(err) === 'EEXIST') {
        // What a crash left of an earlier attempt (a move's new location is this volume's only).
        await unlink(to);
        return this.placeInPool(fromPool, toPool, volumeName);
      } else if (errnoCode(err) === 'EXDEV') {
        await copyDurably(from, to);
      } else {
        throw err;
      }
    }
    await syncDirectory(dirname(to));
    return to;
  }

  /**
   * Removes a volume's file from a pool, with any staging copy a move left there, durably (the
   * directory is synced). Idempotent: a missing file counts as removed.
   */
  async removeFromPool(pool: string, volumeName: string): Promise<void> {
    const path = this.devicePath(pool, volumeName);
    for (const name of [path, `${path}${STAGING_SUFFIX}`]) {
      try {
        await unlink(name);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
    await syncDirectory(dirname(path));
  }

  async capacity(pool: string): Promise<PoolCapacity> {
    const dir = this.poolDir(pool);
    const configured = this.opts.poolCapacityGb;
    if (configured > 0) {
      const allocatedGb = (await this.allocatedBytes(dir)) / GIB;
      return { totalGb: configured, freeGb: Math.max(0, configured - allocatedGb) };
    }
    // Pools that share a filesystem all report its whole size: they compete for the same blocks.
    const fs = await statfs(dir);
    return { totalGb: (fs.blocks * fs.bsize) / GIB, freeGb: (fs.bavail * fs.bsize) / GIB };
  }

  private poolDir(pool: string): string {
    if (!this.hasPool(pool)) throw new Error(`unknown pool ${JSON.stringify(pool)}`);
    return join(this.opts.dataDir, pool);
  }

  /** Blocks really written, not file sizes: sparse volumes cost only what was written into them. */
  private async allocatedBytes(dir: string): Promise<number> {
    let total = 0;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.startsWith('volume-')) continue;
      try {
        total += (await stat(join(dir, entry.name))).blocks * 512;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
    return total;
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * `to` appears whole or not at all: a copy under a staging name (sparse, as a migration copies:
 * holes stay holes), synced, renamed into place.
 */
async function copyDurably(from: string, to: string): Promise<void> {
  const staging = `${to}${STAGING_SUFFIX}`;
  const { size } = await stat(from);
  // 'w' empties what an interrupted attempt left; the copy writes only the blocks that hold data.
  const handle = await open(staging, 'w');
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
  const sink = localSink(staging);
  try {
    await copyVolumeData({ sourcePath: from, sizeBytes: size, sink });
  } finally {
    await sink.close();
  }
  await rename(staging, to);
}

/** A new, renamed or removed directory entry survives a crash only once its directory is synced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
