import { randomBytes } from 'node:crypto';
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';
import { adoptForBulkReads, BULK_READ_BYTES } from './stream-receiver';

const MIB = 1024 * 1024;

describe('adoptForBulkReads', () => {
  let server: Server;
  let accepted: Promise<Socket>;

  beforeEach(async () => {
    let onSocket!: (s: Socket) => void;
    accepted = new Promise((resolve) => (onSocket = resolve));
    server = createServer(onSocket);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads an accepted connection into the one reused buffer, more than 64 KiB at a time, and stops when told to', async () => {
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const upgraded = await accepted;
    const buffer = Buffer.allocUnsafe(BULK_READ_BYTES);
    const received: Buffer[] = [];
    const views: Buffer[] = [];
    let stopAfter = Number.POSITIVE_INFINITY;
    const adopted = adoptForBulkReads(upgraded, buffer, (chunk) => {
      views.push(chunk);
      received.push(Buffer.from(chunk));
      return received.length < stopAfter;
    });
    // A Node that no longer lets a socket adopt a handle makes this null: the bulk path would be gone.
    expect(adopted).not.toBeNull();
    const socket = adopted as Socket;
    const ended = new Promise((resolve) => socket.on('end', resolve));
    // The old socket is let go without closing the connection; the server no longer counts it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(upgraded.destroyed).toBe(true);
    const count = await new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    expect(count).toBe(0);

    const first = randomBytes(8 * MIB);
    stopAfter = 1;
    client.write(first);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toHaveLength(1); // stopped after the first read, however much is waiting
    stopAfter = Number.POSITIVE_INFINITY;
    socket.resume();
    // The adopted socket writes too (the server's answers go back on it).
    const echoed = new Promise<string>((resolve) => client.once('data', (d) => resolve(d.toString())));
    socket.write('ok');
    expect(await echoed).toBe('ok');
    const second = randomBytes(MIB);
    client.end(second);
    await ended;
    expect(Buffer.concat(received).equals(Buffer.concat([first, second]))).toBe(true);
    expect(Math.max(...received.map((r) => r.length))).toBeGreaterThan(64 * 1024);
    // Every read landed in the same buffer: no allocation per read.
    expect(views.every((v) => v.buffer === buffer.buffer && v.byteOffset === buffer.byteOffset)).toBe(true);
    socket.destroy();
    client.destroy();
  });
});
