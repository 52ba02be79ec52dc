import { CopyRecord, CopySink } from './copy-sink';
import { DurableFile, DurableFileOptions } from './durable-file';

/**
 * A copy to a file on this host (a migration between two pools or backends of one worker): the
 * same positional writes and background fdatasyncs as the data server, without the network.
 */
export function localSink(path: string, opts: DurableFileOptions = {}): CopySink {
  let opened: Promise<DurableFile> | null = null;
  let closed = false;
  const listeners: ((durableThrough: number) => void)[] = [];
  const file = () => {
    if (closed) throw new Error(`the local copy sink for ${path} is closed`);
    opened ??= DurableFile.open(path, opts).then((dest) => {
      dest.onDurable((durableThrough) => listeners.forEach((listener) => listener(durableThrough)));
      return dest;
    });
    return opened;
  };
  return {
    async writeSegment(records: AsyncIterable<CopyRecord>, signal?: AbortSignal): Promise<number> {
      const dest = await file();
      for await (const { offset, data } of records) {
        signal?.throwIfAborted();
        if (data.length > 0) await dest.write(offset, [data]);
        dest.advance(offset + data.length);
      }
      return dest.durableThrough;
    },

    async finish(sizeBytes: number, signal?: AbortSignal): Promise<number> {
      const dest = await file();
      signal?.throwIfAborted();
      await dest.ensureSize(sizeBytes);
      return dest.sync();
    },

    async close(): Promise<void> {
      closed = true;
      const dest = await opened?.catch(() => null);
      await dest?.close();
    },

    onDurable(listener: (durableThrough: number) => void): void {
      listeners.push(listener);
    },
  };
}
