import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteThrottle } from '@volume/platform';
import { copyVolumeData, remoteSink } from './copy-engine';
import { isDestinationLost } from './copy-sink';
import { MigrationDataServer } from './data-server';
import { MIB, sameContent, sparseFile, tempDir } from '../../test/copy-helpers';

const SIZE = 48 * MIB;
const SECRET = 'per-migration-secret';

/** A destination worker's data server, fdatasyncing as often as it can so that durable offsets come quickly. */
async function dataServer(): Promise<MigrationDataServer> {
  const server = new MigrationDataServer({ host: '127.0.0.1', port: 0, syncIntervalMs: 0 });
  await server.start();
  return server;
}

describe('a copy whose destination worker goes away', () => {
  let dir: string;
  let source: string;
  let dest: string;
  const servers: MigrationDataServer[] = [];

  beforeAll(async () => {
    dir = await tempDir('destination-restart-');
    source = join(dir, 'source');
    await sparseFile(source, SIZE, [{ at: 0, length: SIZE }]);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    dest = join(dir, `dest-${Math.random().toString(36).slice(2)}`);
    await sparseFile(dest, SIZE);
  });

  async function target(): Promise<string> {
    const server = await dataServer();
    servers.push(server);
    return server.register({ migrationId: 'm-1', path: dest, sizeBytes: SIZE, secret: SECRET }).url;
  }

  it('when the destination stops mid-copy, then the copy fails as a lost destination, and resumed from its checkpoint on the restarted destination it makes the same data', async () => {
    const first = await target();
    const dying = servers[servers.length - 1];
    let checkpoint = 0;
    let stopped = false;
    const err = await copyVolumeData({
      sourcePath: source,
      sizeBytes: SIZE,
      sink: remoteSink(first, SECRET),
      throttle: new ByteThrottle(32 * MIB),
      onCheckpoint: (durable) => (checkpoint = durable),
      onProgress: (processed) => {
        if (processed >= SIZE / 2 && !stopped) {
          stopped = true;
          void dying.stop();
        }
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDestinationLost(err)).toBe(true);
    expect(checkpoint).toBeGreaterThan(0);
    expect(checkpoint).toBeLessThan(SIZE);

    const sink = remoteSink(await target(), SECRET);
    try {
      await copyVolumeData({ sourcePath: source, sizeBytes: SIZE, startOffset: checkpoint, sink });
    } finally {
      await sink.close();
    }
    expect(await sameContent(source, dest)).toBe(true);
  });

  it('when the destination no longer knows the target (it restarted and was not asked to open it again), then the destination is lost, not refusing', async () => {
    const url = await target();
    await servers[servers.length - 1].unregister('m-1');
    const sink = remoteSink(url, SECRET);
    const err = await copyVolumeData({ sourcePath: source, sizeBytes: SIZE, sink }).catch((e: unknown) => e);
    await sink.close();
    expect(isDestinationLost(err)).toBe(true);
    expect((err as Error).message).toMatch(/HTTP 404/);
  });

  it('when the destination refuses the data (a wrong secret), then the failure is final, not a lost destination', async () => {
    const sink = remoteSink(await target(), 'not-the-secret');
    const err = await copyVolumeData({ sourcePath: source, sizeBytes: SIZE, sink }).catch((e: unknown) => e);
    await sink.close();
    expect((err as Error).message).toMatch(/HTTP 403/);
    expect(isDestinationLost(err)).toBe(false);
  });

  it('when the destination syncs in the background, then the checkpoint follows it within a segment, not only at segment ends', async () => {
    const checkpoints: number[] = [];
    const sink = remoteSink(await target(), SECRET);
    try {
      await copyVolumeData({
        sourcePath: source,
        sizeBytes: SIZE,
        segmentBytes: SIZE,
        sink,
        throttle: new ByteThrottle(64 * MIB),
        onCheckpoint: (durable) => checkpoints.push(durable),
      });
    } finally {
      await sink.close();
    }
    // One segment for the whole copy: every checkpoint but the last came from a background sync.
    expect(checkpoints.filter((c) => c < SIZE).length).toBeGreaterThan(0);
    expect(checkpoints).toEqual([...checkpoints].sort((a, b) => a - b));
    expect(checkpoints[checkpoints.length - 1]).toBe(SIZE);
  });
});
