import { FileHandle, open } from 'node:fs/promises';

export interface BlockFileStat {
  size: number;
  /** 512-byte blocks the filesystem allocated: 0 means the file is all holes, i.e. reads as zeroes. */
  blocks: number;
  dev: number;
  ino: number;
}

/** Positioned I/O on one open file: what a guest device runs on and what a mirror writes to. */
export interface BlockFile {
  /** Reads exactly `length` bytes; bytes past the end of the file read as zeroes. */
  read(position: number, length: number): Promise<Buffer>;
  /** Writes all of `data` (looping over short writes). */
  write(position: number, data: Buffer): Promise<void>;
  datasync(): Promise<void>;
  stat(): Promise<BlockFileStat>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Opens an existing file for reading and writing; never creates nor truncates it. */
export async function openBlockFile(path: string): Promise<BlockFile> {
  return new FileBlockFile(await open(path, 'r+'));
}

class FileBlockFile implements BlockFile {
  private closing: Promise<void> | null = null;

  constructor(private readonly fh: FileHandle) {}

  async read(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer;
  }

  async write(position: number, data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, position + done);
      if (bytesWritten === 0) throw new Error(`writing at ${position + done} made no progress`);
      done += bytesWritten;
    }
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  async stat(): Promise<BlockFileStat> {
    const { size, blocks, dev, ino } = await this.fh.stat();
    return { size, blocks, dev, ino };
  }

  close(): Promise<void> {
    this.closing ??= this.fh.close();
    return this.closing;
  }
}
