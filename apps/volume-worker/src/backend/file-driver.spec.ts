import { mkdtemp, open, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GIB } from '@volume/domain';
import { FileDriver } from './file-driver';

const ID = '0b5f7a3e-4c1d-4e2a-9f6b-1a2b3c4d5e6f';

async function head(path: string, bytes: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(bytes), 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString();
  } finally {
    await fh.close();
  }
}

describe('FileDriver (file backend, real filesystem)', () => {
  let dir: string;
  let driver: FileDriver;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-driver-'));
    driver = new FileDriver({ dataDir: dir, pools: ['pool1', 'pool2'], poolCapacityGb: 0 });
    await driver.init();
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when initialised, then every pool has its directory', async () => {
    for (const pool of ['pool1', 'pool2']) expect((await stat(join(dir, pool))).isDirectory()).toBe(true);
  });

  it('when a 1 GiB volume is created, then its file is 1 GiB long yet allocates (almost) no blocks', async () => {
    const { path, created } = await driver.create('pool1', ID, 1);
    expect(created).toBe(true);
    expect(path).toBe(join(dir, 'pool1', `volume-${ID}`));
    const st = await stat(path);
    expect(st.size).toBe(GIB);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
  });

  it('when the same volume is created twice with the same size, then the second call keeps the file', async () => {
    await driver.create('pool1', ID, 2);
    await writeFile(driver.devicePath('pool1', ID), 'data', { flag: 'r+' });
    await expect(driver.create('pool1', ID, 2)).resolves.toEqual({ path: driver.devicePath('pool1', ID), created: false });
    expect(await head(driver.devicePath('pool1', ID), 4)).toBe('data');
  });

  it('when the file already exists with another size, then create fails and leaves it alone', async () => {
    await driver.create('pool1', ID, 1);
    await expect(driver.create('pool1', ID, 2)).rejects.toThrow(/already exists with 1073741824 bytes/);
    expect(await driver.sizeOf('pool1', ID)).toBe(GIB);
  });

  it('when an empty file was left by a crash, then create gives it its size', async () => {
    await writeFile(driver.devicePath('pool1', ID), '');
    await expect(driver.create('pool1', ID, 1)).resolves.toMatchObject({ created: true });
    expect(await driver.sizeOf('pool1', ID)).toBe(GIB);
  });

  it('when a volume is deleted, then its file is gone, and deleting it again is fine', async () => {
    await driver.create('pool2', ID, 1);
    await driver.delete('pool2', ID);
    expect(await driver.sizeOf('pool2', ID)).toBeNull();
    await expect(driver.delete('pool2', ID)).resolves.toBeUndefined();
  });

  it('when asked for a device path, then it is absolute and inside the pool directory', () => {
    expect(driver.devicePath('pool2', ID)).toBe(join(dir, 'pool2', `volume-${ID}`));
  });

  it('when the pool is unknown or the name could leave the pool directory, then the driver refuses', async () => {
    expect(() => driver.devicePath('pool3', ID)).toThrow(/unknown pool/);
    expect(() => driver.devicePath('pool1', '../x')).toThrow(/invalid volume name/);
    await expect(driver.create('..', ID, 1)).rejects.toThrow(/unknown pool/);
  });

  it('when a capacity is configured, then total is that and free drops only by the blocks written', async () => {
    const sized = new FileDriver({ dataDir: dir, pools: ['pool1', 'pool2'], poolCapacityGb: 10 });
    await sized.create('pool1', ID, 5);
    expect((await sized.capacity('pool1')).freeGb).toBeCloseTo(10, 3);
    const fh = await open(sized.devicePath('pool1', ID), 'r+');
    await fh.write(Buffer.alloc(4 * 1024 * 1024, 1), 0, undefined, 0);
    await fh.sync();
    await fh.close();
    const { totalGb, freeGb } = await sized.capacity('pool1');
    expect(totalGb).toBe(10);
    expect(freeGb).toBeCloseTo(10 - 4 / 1024, 3);
    expect(await sized.capacity('pool2')).toEqual({ totalGb: 10, freeGb: 10 });
  });

  it('when no capacity is configured, then total and free come from the filesystem', async () => {
    const { totalGb, freeGb } = await driver.capacity('pool1');
    expect(totalGb).toBeGreaterThan(0);
    expect(freeGb).toBeGreaterThanOrEqual(0);
    expect(freeGb).toBeLessThanOrEqual(totalGb);
  });

  describe('a driver-assisted move\'s locations', () => {
    async function volumeWith(pool: string, content: string): Promise<string> {
      await driver.create(pool, ID, 1);
      await writeFile(driver.devicePath(pool, ID), content, { flag: 'r+' });
      return driver.devicePath(pool, ID);
    }

    it('when both pools share a filesystem, then the new location is a second name of the same data and the old one is untouched', async () => {
      const from = await volumeWith('pool1', 'payload');
      const to = await driver.placeInPool('pool1', 'pool2', ID);
      expect(to).toBe(driver.devicePath('pool2', ID));
      expect((await stat(to)).ino).toBe((await stat(from)).ino);
      expect(await head(from, 7)).toBe('payload');
      await expect(driver.placeInPool('pool1', 'pool2', ID)).resolves.toBe(to);
    });

    it('when a crash left another file at the new location, then it is replaced by the volume\'s data', async () => {
      await volumeWith('pool1', 'payload');
      await writeFile(driver.devicePath('pool2', ID), 'stale');
      const to = await driver.placeInPool('pool1', 'pool2', ID);
      expect(await head(to, 7)).toBe('payload');
      expect((await stat(to)).size).toBe(GIB);
    });

    it('when the pools are on two filesystems, then the new location is a whole, still sparse copy and no staging file is left', async () => {
      const elsewhere = await mkdtemp(join('/dev/shm', 'file-driver-pool-'));
      try {
        if ((await stat(elsewhere)).dev === (await stat(dir)).dev) throw new Error(`${elsewhere} and ${dir} share a filesystem: this test needs two`);
        const split = new FileDriver({ dataDir: dir, pools: ['pool1', 'shm'], poolCapacityGb: 0 });
        await symlink(elsewhere, join(dir, 'shm'));
        await split.init();
        await split.create('pool1', ID, 1);
        await writeFile(split.devicePath('pool1', ID), 'payload', { flag: 'r+' });
        const to = await split.placeInPool('pool1', 'shm', ID);
        expect((await stat(to)).ino).not.toBe((await stat(split.devicePath('pool1', ID))).ino);
        expect(await head(to, 7)).toBe('payload');
        expect(await split.sizeOf('shm', ID)).toBe(GIB);
        // The copy block that holds the payload, not the GiB.
        expect((await stat(to)).blocks * 512).toBeLessThanOrEqual(4 * 1024 * 1024);
        await expect(stat(`${to}.moving`)).rejects.toMatchObject({ code: 'ENOENT' });
      } finally {
        await rm(elsewhere, { recursive: true, force: true });
      }
    });

    it('when a location is removed, then its file and any staging copy are gone, the other pool keeps the data, and a repeat is fine', async () => {
      await volumeWith('pool1', 'payload');
      const to = await driver.placeInPool('pool1', 'pool2', ID);
      await writeFile(`${driver.devicePath('pool1', ID)}.moving`, 'partial');
      await driver.removeFromPool('pool1', ID);
      expect(await driver.sizeOf('pool1', ID)).toBeNull();
      await expect(readFile(`${driver.devicePath('pool1', ID)}.moving`)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await head(to, 7)).toBe('payload');
      await expect(driver.removeFromPool('pool1', ID)).resolves.toBeUndefined();
    });
  });
});
