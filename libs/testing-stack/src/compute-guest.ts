import { randomBytes, randomInt } from 'node:crypto';

const BLOCK = 64 * 1024;

/**
 * A guest of nova-bridge's local compute host: every read, write and flush goes through the compute
 * API (as a VM's I/O goes through QEMU), and every write is remembered in `model`, the first `span`
 * bytes of the device as the guest expects them.
 */
export class ComputeGuest {
  readonly model: Buffer;
  writes = 0;
  errors: string[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly serverId: string,
    private readonly device: string,
    private readonly token: string,
    readonly span: number,
  ) {
    this.model = Buffer.alloc(span);
  }

  private deviceUrl(suffix: string): string {
    return `${this.url}/v2.1/servers/${this.serverId}/devices/${this.device}/${suffix}`;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    const res = await fetch(this.deviceUrl(`data?offset=${offset}`), {
      method: 'PUT',
      headers: { 'x-auth-token': this.token, 'content-type': 'application/octet-stream' },
      body: data,
    });
    if (res.status !== 204) throw new Error(`guest write at ${offset}: ${res.status} ${await res.text()}`);
    data.copy(this.model, offset);
    this.writes++;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const res = await fetch(this.deviceUrl(`data?offset=${offset}&length=${length}`), { headers: { 'x-auth-token': this.token } });
    if (res.status !== 200) throw new Error(`guest read at ${offset}: ${res.status} ${await res.text()}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async flush(): Promise<void> {
    const res = await fetch(this.deviceUrl('flush'), { method: 'POST', headers: { 'x-auth-token': this.token } });
    if (res.status !== 204) throw new Error(`guest flush: ${res.status}`);
  }

  /** A random 64 KiB block somewhere in the span. */
  writeRandomBlock(): Promise<void> {
    return this.write(randomInt(0, this.span / BLOCK) * BLOCK, randomBytes(BLOCK));
  }

  async fill(blocks: number): Promise<void> {
    for (let i = 0; i < blocks; i++) await this.writeRandomBlock();
  }

  /** Random 64 KiB writes, one after the other with `pauseMs` between them, until stopped. */
  start(pauseMs: number): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.writeRandomBlock().catch((err) => this.errors.push((err as Error).message));
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.flush();
  }
}
