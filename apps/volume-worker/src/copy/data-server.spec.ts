import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationDataServer } from './data-server';
import { allocatedBytes, Answer, finishMark, MIB, openStream, put, RawStream, readRange, record, sparseFile, tempDir } from '../../test/copy-helpers';

const SECRET = 's3cret-for-this-migration';
const SIZE = 8 * MIB;
const auth = (secret = SECRET) => ({ authorization: `Bearer ${secret}` });

describe('MigrationDataServer', () => {
  let dir: string;
  let dest: string;
  let server: MigrationDataServer;
  let url: string;

  beforeEach(async () => {
    dir = await tempDir('data-server-');
    dest = join(dir, 'dest');
    await sparseFile(dest, SIZE);
    server = new MigrationDataServer({ host: '127.0.0.1', port: 0 });
    await server.start();
    ({ url } = server.register({ migrationId: 'm-1', path: dest, sizeBytes: SIZE, secret: SECRET }));
  });

  afterEach(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('advertises a segments URL on its ephemeral port', () => {
    expect(url).toBe(`http://127.0.0.1:${server.port}/migrations/m-1/segments`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('writes each record at its offset, leaves the ranges between them as holes, and makes them durable on ?sync=1', async () => {
    const a = randomBytes(4096);
    const b = randomBytes(10_000);
    const body = Buffer.concat([record(0, a), record(2 * MIB, b), record(SIZE, Buffer.alloc(0))]);
    // Split at awkward places: inside a header, inside a payload.
    const pieces = [body.subarray(0, 5), body.subarray(5, 3000), body.subarray(3000, 4110), body.subarray(4110)];
    const first = await put(url, auth(), pieces);
    expect(first.status).toBe(200);
    expect(first.body.durableThrough).toBe(0); // written, but the first background sync is not due yet
    const synced = await put(`${url}?sync=1`, auth(), []);
    expect(synced).toEqual({ status: 200, body: { durableThrough: SIZE } });
    expect((await readRange(dest, 0, 4096)).equals(a)).toBe(true);
    expect((await readRange(dest, 2 * MIB, 10_000)).equals(b)).toBe(true);
    expect((await readRange(dest, 4096, 4096)).equals(Buffer.alloc(4096))).toBe(true);
    expect(await allocatedBytes(dest)).toBeLessThan(64 * 1024);
  });

  it('syncs in the background once the interval has passed, without being asked, never claiming more than was written', async () => {
    await server.stop();
    server = new MigrationDataServer({ host: '127.0.0.1', port: 0, syncIntervalMs: 0 });
    await server.start();
    ({ url } = server.register({ migrationId: 'm-1', path: dest, sizeBytes: SIZE, secret: SECRET }));
    await put(url, auth(), [record(0, randomBytes(MIB)), record(4 * MIB, Buffer.alloc(0))]);
    const seen: number[] = [];
    for (let i = 0; i < 50 && seen.at(-1) !== 4 * MIB; i++) {
      seen.push((await put(url, auth(), [record(4 * MIB, Buffer.alloc(0))])).body.durableThrough as number);
    }
    expect(seen.at(-1)).toBe(4 * MIB);
    expect(Math.max(...seen)).toBe(4 * MIB);
  });

  it.each([
    ['a missing bearer token', {}, 401],
    ['a wrong secret', auth('not-the-secret'), 403],
    ['a secret of another length', auth('x'), 403],
  ])('refuses %s and writes nothing', async (_what, headers, status) => {
    const answer = await put(url, headers, [record(0, randomBytes(4096))]);
    expect(answer.status).toBe(status);
    await put(`${url}?sync=1`, auth(), []);
    expect((await readRange(dest, 0, 4096)).equals(Buffer.alloc(4096))).toBe(true);
    expect(await allocatedBytes(dest)).toBe(0);
  });

  it('answers 404 for an unknown migration or path and 405 for another method', async () => {
    expect((await put(url.replace('m-1', 'm-2'), auth(), [])).status).toBe(404);
    expect((await put(`http://127.0.0.1:${server.port}/other`, auth(), [])).status).toBe(404);
    const status = await new Promise<number>((resolve, reject) =>
      request(url, { method: 'GET', agent: false, headers: auth() }, (res) => resolve(res.statusCode ?? 0))
        .on('error', reject)
        .end(),
    );
    expect(status).toBe(405);
  });

  it('answers 400 to a record beyond the target size, and keeps serving', async () => {
    const answer = await put(url, auth(), [record(SIZE - 100, randomBytes(4096))]);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/beyond/);
    const good = await put(`${url}?sync=1`, auth(), [record(0, randomBytes(100)), record(MIB, Buffer.alloc(0))]);
    expect(good).toEqual({ status: 200, body: { durableThrough: MIB } });
  });

  it.each([
    ['a body that ends inside a header', [record(0, randomBytes(10)).subarray(0, 7)]],
    ['a body that ends inside a payload', [record(0, randomBytes(100)).subarray(0, 50)]],
    ['records out of order', [record(MIB, randomBytes(10)), record(0, randomBytes(10))]],
    ['overlapping records', [record(0, randomBytes(100)), record(50, randomBytes(10))]],
    ['an offset beyond 2^53', [Buffer.from('ffffffffffffffff00000000', 'hex')]],
  ])('answers 400 to %s', async (_what, pieces) => {
    expect((await put(url, auth(), pieces)).status).toBe(400);
  });

  it('drops a request under way when its target is unregistered, then refuses the migration', async () => {
    const req = request(url, { method: 'PUT', agent: false, headers: auth() });
    const failed = new Promise<Error>((resolve) => req.on('error', resolve));
    req.write(record(0, randomBytes(MIB)).subarray(0, MIB / 2));
    await new Promise((r) => setTimeout(r, 50));
    await server.unregister('m-1');
    expect((await failed).message).toMatch(/socket hang up|ECONNRESET|EPIPE/);
    expect((await put(url, auth(), [])).status).toBe(404);
  });

  it('replaces a target registered again, with its new secret', async () => {
    server.register({ migrationId: 'm-1', path: dest, sizeBytes: SIZE, secret: 'new-secret' });
    expect((await put(url, auth(), [])).status).toBe(403);
    expect((await put(url, auth('new-secret'), [])).status).toBe(200);
  });

  it('answers 500 when the target file cannot be opened, and stays up', async () => {
    const missing = server.register({ migrationId: 'm-2', path: join(dir, 'missing'), sizeBytes: SIZE, secret: SECRET });
    const answer = await put(missing.url, auth(), [record(0, randomBytes(10))]);
    expect(answer.status).toBe(500);
    expect(answer.body.error).toMatch(/ENOENT/);
    expect((await put(url, auth(), [])).status).toBe(200);
  });

  it('refuses invalid registrations and closes its port on stop', async () => {
    expect(() => server.register({ migrationId: '../x', path: dest, sizeBytes: SIZE, secret: SECRET })).toThrow(/invalid migration id/);
    expect(() => server.register({ migrationId: 'm-3', path: dest, sizeBytes: SIZE, secret: '' })).toThrow(/secret/);
    await server.stop();
    await expect(put(url, auth(), [])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(() => server.register({ migrationId: 'm-3', path: dest, sizeBytes: SIZE, secret: SECRET })).toThrow(/not started/);
  });

  describe('copy stream', () => {
    const stream = async (headers = auth(), protocol?: string): Promise<RawStream> => {
      const opened = await openStream(url, headers, protocol);
      if (!('socket' in opened)) throw new Error(`refused: ${JSON.stringify(opened)}`);
      return opened;
    };
    const refusal = async (headers: Record<string, string>, protocol?: string, at = url): Promise<Answer> => {
      const opened = await openStream(at, headers, protocol);
      if ('socket' in opened) {
        opened.socket.destroy();
        throw new Error('the stream was accepted');
      }
      return opened;
    };
    const waitFor = async (check: () => boolean, what: string) => {
      for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
      if (!check()) throw new Error(`timed out waiting for ${what}`);
    };

    it('writes the records of a whole copy on one connection, leaves holes, and answers the finish mark once durable', async () => {
      const a = randomBytes(4096);
      const b = randomBytes(10_000);
      const s = await stream();
      const body = Buffer.concat([record(0, a), record(2 * MIB, Buffer.alloc(0)), record(3 * MIB, b), record(4 * MIB, Buffer.alloc(0)), finishMark(SIZE)]);
      // Split at awkward places: inside a header, inside a payload, inside the finish mark.
      for (const at of [[0, 5], [5, 3000], [3000, 4150], [4150, body.length - 4], [body.length - 4, body.length]]) {
        s.socket.write(body.subarray(at[0], at[1]));
      }
      await waitFor(() => s.answers.some((x) => x.finished), 'the finish answer');
      expect(s.answers.at(-1)).toEqual({ durableThrough: SIZE, finished: true });
      s.socket.end();
      await s.ended;
      expect((await readRange(dest, 0, 4096)).equals(a)).toBe(true);
      expect((await readRange(dest, 3 * MIB, 10_000)).equals(b)).toBe(true);
      expect((await readRange(dest, 4096, 4096)).equals(Buffer.alloc(4096))).toBe(true);
      expect(await allocatedBytes(dest)).toBeLessThan(64 * 1024);
    });

    it.each([
      ['reused 1 MiB buffers', true],
      ["Node's own 64 KiB reads", false],
    ])('writes many small scattered records arriving at once, reading into %s', async (_how, bulkReads) => {
      await server.stop();
      server = new MigrationDataServer({ host: '127.0.0.1', port: 0, bulkReads });
      await server.start();
      ({ url } = server.register({ migrationId: 'm-1', path: dest, sizeBytes: SIZE, secret: SECRET }));
      // More separate batches in one read than the receiver has batch buffers.
      const pieces = Array.from({ length: 1000 }, (_, i) => ({ at: i * 1024, data: randomBytes(100 + (i % 7)) }));
      const s = await stream();
      s.socket.write(Buffer.concat([...pieces.map((p) => record(p.at, p.data)), record(2 * MIB, randomBytes(3 * MIB)), finishMark(SIZE)]));
      await waitFor(() => s.answers.some((x) => x.finished), 'the finish answer');
      s.socket.end();
      await s.ended;
      for (const p of pieces) expect((await readRange(dest, p.at, p.data.length)).equals(p.data)).toBe(true);
      expect((await readRange(dest, 1024 + 101, 900)).equals(Buffer.alloc(900))).toBe(true);
    });

    it('reports a durable offset only once the fdatasync covering it has returned', async () => {
      await server.stop();
      server = new MigrationDataServer({ host: '127.0.0.1', port: 0, syncIntervalMs: 0 });
      await server.start();
      ({ url } = server.register({ migrationId: 'm-1', path: dest, sizeBytes: SIZE, secret: SECRET }));
      const probe: FileHandle = await open(dest, 'r');
      const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
      await probe.close();
      const held: (() => void)[] = [];
      const real = proto.datasync;
      const spy = jest.spyOn(proto, 'datasync').mockImplementation(function (this: FileHandle) {
        return new Promise<void>((resolve, reject) => held.push(() => real.call(this).then(resolve, reject)));
      });
      try {
        const s = await stream();
        s.socket.write(Buffer.concat([record(0, randomBytes(MIB)), record(2 * MIB, Buffer.alloc(0))]));
        await waitFor(() => held.length > 0, 'a background fdatasync');
        await new Promise((r) => setTimeout(r, 100));
        expect(s.answers).toEqual([]); // written, fdatasync under way: nothing vouched for yet
        held.shift()?.();
        await waitFor(() => s.answers.length > 0, 'a durable offset');
        // What had been handed in when that fdatasync started: the first record, or up to the mark.
        expect([MIB, 2 * MIB]).toContain(s.answers[0].durableThrough);
        s.socket.write(finishMark(SIZE));
        await new Promise((r) => setTimeout(r, 100));
        expect(s.answers.some((x) => x.finished)).toBe(false);
        while (!s.answers.some((x) => x.finished)) {
          held.shift()?.();
          await new Promise((r) => setTimeout(r, 10));
        }
        expect(s.answers.at(-1)).toEqual({ durableThrough: SIZE, finished: true });
        const offsets = s.answers.map((x) => x.durableThrough as number);
        expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
        s.socket.end();
        await s.ended;
      } finally {
        spy.mockRestore();
        for (const release of held) release();
      }
    });

    it.each([
      ['a missing bearer token', {}, undefined, 401],
      ['a wrong secret', auth('not-the-secret'), undefined, 403],
      ['another upgrade protocol', auth(), 'websocket', 400],
    ])('refuses %s with a plain HTTP answer, and writes nothing', async (_what, headers, protocol, status) => {
      const answer = await refusal(headers, protocol);
      expect(answer.status).toBe(status);
      expect(answer.body.error).toEqual(expect.any(String));
      await put(`${url}?sync=1`, auth(), []);
      expect(await allocatedBytes(dest)).toBe(0);
    });

    it('refuses an unknown migration with 404', async () => {
      expect((await refusal(auth(), undefined, url.replace('m-1', 'm-2'))).status).toBe(404);
    });

    it.each([
      ['records out of order', [record(MIB, randomBytes(10)), record(0, randomBytes(10))], /precedes/],
      ['a record beyond the target', [record(SIZE - 100, randomBytes(4096))], /beyond/],
      ['a finish mark short of the size', [record(0, randomBytes(10)), finishMark(MIB)], /not at the target's size/],
      ['bytes after the finish mark', [finishMark(SIZE), record(0, randomBytes(10))], /follow the finish mark/],
    ])('answers 400 to %s and ends the connection', async (_what, pieces, message) => {
      const s = await stream();
      s.socket.write(Buffer.concat(pieces));
      const answers = await s.ended;
      expect(answers.at(-1)).toEqual({ status: 400, error: expect.stringMatching(message) });
      expect(answers.some((x) => x.finished)).toBe(false);
    });

    it('drops a stream under way when its target is unregistered', async () => {
      const s = await stream();
      s.socket.write(record(0, randomBytes(MIB)).subarray(0, MIB / 2));
      await new Promise((r) => setTimeout(r, 50));
      await server.unregister('m-1');
      const answers = await s.ended;
      expect(answers.some((x) => x.finished)).toBe(false);
      expect((await refusal(auth())).status).toBe(404);
    });
  });
});
