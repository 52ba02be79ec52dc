import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { GuestDevice } from '../src/local/mirror/guest-device';

export { allocatedBytes, sparseFile } from '@volume/testing';

export const KIB = 1024;
export const MIB = 1024 * KIB;

export async function withTempDir(prefix: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The first differing offset of two buffers, or -1; a readable failure instead of two megabyte dumps. */
export function firstDifference(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (a.equals(b)) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

export async function fileDifference(path: string, expected: Buffer): Promise<number> {
  return firstDifference((await readFile(path)).subarray(0, expected.length), expected);
}

/**
 * A guest writing random data at random places of its own byte range, one write after the other,
 * and recording in `model` what the device must hold once each write has returned.
 */
export class GuestWriter {
  writes = 0;
  private stopped = false;
  private done: Promise<void> | null = null;

  constructor(
    private readonly device: GuestDevice,
    private readonly model: Buffer,
    private readonly from: number,
    private readonly to: number,
    private readonly maxLength = 96 * KIB,
    /** Pause between writes, 0 for as fast as the device takes them. */
    private readonly pauseMs = 0,
  ) {}

  start(): this {
    this.done = this.loop();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const length = randomInt(1, Math.min(this.maxLength, this.to - this.from) + 1);
      const offset = randomInt(this.from, this.to - length + 1);
      const data = randomBytes(length);
      await this.device.write(offset, data);
      data.copy(this.model, offset);
      this.writes++;
      if (this.pauseMs > 0) await delay(this.pauseMs);
      else if (this.writes % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** What a test started and must stop even when an assertion fails midway (writers would go on forever). */
export class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  /** Last added first; every step runs whatever the others do. */
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch(() => undefined);
  }
}

export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}
