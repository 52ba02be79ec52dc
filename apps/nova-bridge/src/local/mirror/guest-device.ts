import { resolve } from 'node:path';
import { BlockFile, openBlockFile } from './block-file';
import { DeviceMirror, MirrorHost, MirrorOptions } from './device-mirror';
import { IoGate } from './io-gate';

/**
 * A guest's block device on the local compute host: every guest read, write and flush goes
 * through it (QEMU's `mirror_top` filter), so that a mirror sees every write. It runs on one file,
 * the source, until a mirror pivots it onto the target.
 */
export class GuestDevice {
  private readonly gate = new IoGate();
  private mirror: DeviceMirror | null = null;
  private closing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private file: BlockFile,
    private currentPath: string,
    private size: number,
  ) {}

  /** Opens an existing file; it is never created nor truncated here, and may be sparse. */
  static async open(path: string, sizeBytes: number): Promise<GuestDevice> {
    checkSize(sizeBytes);
    return new GuestDevice(await openBlockFile(path), path, sizeBytes);
  }

  /** The file the guest currently runs on. */
  get path(): string {
    return this.currentPath;
  }

  get sizeBytes(): number {
    return this.size;
  }

  /** The running mirror, if any (it is gone once it pivoted, failed or was cancelled). */
  get activeMirror(): DeviceMirror | null {
    return this.mirror;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.checkRange(offset, length);
    return this.gate.run(async () => {
      this.assertOpen();
      return this.file.read(offset, length);
    });
  }

  async write(offset: number, data: Buffer): Promise<void> {
    if (!Buffer.isBuffer(data)) throw new TypeError('data must be a Buffer');
    this.checkRange(offset, data.length);
    return this.gate.run(async () => {
      this.assertOpen();
      if (data.length === 0) return;
      const mirror = this.mirror;
      if (!mirror) return this.file.write(offset, data);
      const release = await mirror.lockForGuestWrite(offset, data.length);
      let written = false;
      try {
        await this.file.write(offset, data);
        written = true;
      } finally {
        await mirror.afterGuestWrite(offset, data, written);
        release();
      }
    });
  }

  /** fdatasync of what the guest wrote: the source, and the target when the mirror writes it synchronously. */
  async flush(): Promise<void> {
    return this.gate.run(async () => {
      this.assertOpen();
      await this.file.datasync();
      await this.mirror?.afterGuestFlush();
    });
  }

  /**
   * Starts mirroring this device to `targetPath` (an existing file of >= size). One mirror at a
   * time. Bad options throw a RangeError here; target problems reject the mirror's `ready`.
   */
  startMirror(targetPath: string, opts?: MirrorOptions): DeviceMirror {
    this.assertOpen();
    if (this.mirror) throw new Error(`a mirror of ${this.currentPath} is already running`);
    if (resolve(targetPath) === resolve(this.currentPath)) throw new Error(`cannot mirror ${this.currentPath} onto itself`);
    const mirror = new DeviceMirror(this.mirrorHost(), targetPath, this.size, opts);
    this.mirror = mirror;
    return mirror;
  }

  /**
   * Grows the device to `sizeBytes` (Nova's `blockResize` after a swap to a larger volume); the
   * file must already be that large. Not while a mirror runs: the bitmap has the old size.
   */
  async resize(sizeBytes: number): Promise<void> {
    checkSize(sizeBytes);
    if (sizeBytes < this.size) throw new RangeError(`a device only grows: ${sizeBytes} < ${this.size}`);
    if (this.mirror) throw new Error(`cannot resize ${this.currentPath} while it is mirrored`);
    await this.gate.run(async () => {
      this.assertOpen();
      const { size } = await this.file.stat();
      if (size < sizeBytes) throw new RangeError(`${this.currentPath} holds ${size} bytes, less than ${sizeBytes}`);
      this.size = sizeBytes;
    });
  }

  /** Cancels a running mirror, lets guest operations in progress finish, closes the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.mirror?.cancel('the device is closing');
      await this.gate.drain();
      try {
        await this.file.close();
      } finally {
        this.closed = true;
        this.gate.undrain();
      }
    })();
    return this.closing;
  }

  private mirrorHost(): MirrorHost {
    const source = this.file;
    return {
      readSource: (offset, length) => source.read(offset, length),
      statSource: () => source.stat(),
      drain: () => this.gate.drain(),
      undrain: () => this.gate.undrain(),
      adoptTarget: async (mirror, path, target) => {
        if (this.mirror !== mirror) throw new Error(`the mirror to ${path} is not this device's`);
        this.file = target;
        this.currentPath = path;
        this.mirror = null;
        // Past the commit point: a failure to close the stale source changes nothing for the guest.
        await source.close().catch(() => undefined);
      },
      detach: (mirror) => {
        if (this.mirror === mirror) this.mirror = null;
      },
    };
  }

  private assertOpen(): void {
    if (this.closed || this.closing) throw new Error(`the device ${this.currentPath} is closed`);
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`[${offset}, ${offset}+${length}) is outside the device [0, ${this.size})`);
    }
  }
}

function checkSize(sizeBytes: number): void {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) throw new RangeError(`sizeBytes must be a byte count, got ${sizeBytes}`);
}
