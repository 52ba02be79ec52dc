import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ADMIN, PROJECT, TestStack, writeVolumeData } from '@volume/testing-stack';
import { ARTIFACTS, type ConsoleRun, startConsole } from './test-support/console-browser';

// A build of the console, the whole stack and a real Chromium; the migrations are throttled to last ~20 s.
jest.setTimeout(240_000);

const MIB = 1024 * 1024;

/** The host of a volume and pool1 of the other host, where it migrates to. */
async function placement(stack: TestStack, volumeId: string): Promise<{ source: string; dest: string }> {
  const shown = await stack.request('GET', `/v3/${PROJECT}/volumes/${volumeId}`, { headers: ADMIN });
  const source = shown.body.volume['os-vol-host-attr:host'] as string;
  return { source, dest: source.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1' };
}

/** The plot and its legend within the chart's box: nothing spills off its right edge (checked in the page). */
const CHART_FITS = `(() => {
  const box = document.querySelector('.chart').getBoundingClientRect();
  return [...document.querySelectorAll('.chart .uplot, .chart .u-legend')].every((e) => e.getBoundingClientRect().left >= box.left && e.getBoundingClientRect().right <= box.right);
})()`;

describe('the web console in headless Chromium against the whole stack (real apps, PostgreSQL, NATS)', () => {
  let run: ConsoleRun;
  let stack: TestStack;
  let base: string;
  let page: Page;
  let consoleErrors: string[];

  beforeAll(async () => {
    // The hosts' ceiling is 2 MiB/s for all their copies; the migrations ask for less, then more.
    run = await startConsole((dir) => TestStack.start({ workerEnv: { VOLUME_COPY_BPS_LIMIT: String(2 * MIB) }, apiEnv: { CONSOLE_DIR: dir } }));
    ({ stack, base, page, consoleErrors } = run);
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('when /console/ is fetched, then the page and its assets come with their content types, a CSP without inline scripts, and no auth', async () => {
    const index = await fetch(`${base}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const asset = await fetch(`${base}${script}`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/console/../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/console/assets/%2e%2e%2f%2e%2e%2fpackage.json`)).status).toBe(404);
    expect(await (await fetch(`${base}/console/config.json`)).json()).toEqual({ auth_strategy: 'noauth', keystone_url: null, token_path: '/console/api/token' });
    const token = await fetch(`${base}/console/api/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(token.status).toBe(404);
  });

  it('when an admin signs in, starts a throttled migration, raises its bandwidth and cancels another, then both are in the history', async () => {
    const steered = await stack.createVolume({ size: 1, name: 'steered' });
    const cancelled = await stack.createVolume({ size: 1, name: 'cancelled' });
    // Data spread over the volume (holes are skipped unread): the percent moves with every run read.
    await writeVolumeData(stack, steered, Array.from({ length: 12 }, (_, i) => ({ offsetMiB: i * 80, sizeMiB: 1 })));
    await writeVolumeData(stack, cancelled, [{ offsetMiB: 0, sizeMiB: 16 }]);
    const target = await placement(stack, steered);

    await page.goto(`${base}/console/`);
    await page.getByLabel('User').fill('admin');
    await page.getByLabel('Project id').fill(PROJECT);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Running migrations' }).waitFor();
    expect(page.url()).not.toContain(PROJECT);

    await page.getByRole('link', { name: 'Start a migration' }).click();
    await page.getByLabel('Volume').selectOption(steered);
    await page.getByLabel('Destination pool').selectOption(target.dest);
    // No history yet: the hosts' 2 MiB/s ceiling is the rate, until a lower bandwidth is entered.
    await page.getByText(/^Estimate: .* at 2\.0 MiB\/s, the source host's limit \(confidence host-default/).waitFor();
    await page.getByLabel(/^Bandwidth/).fill('1');
    await page.getByText(/^Estimate: .* at 1\.0 MiB\/s, the bandwidth entered \(confidence host-default/).waitFor();
    await page.getByRole('button', { name: 'Start migration' }).click();

    const row = page.locator(`tr[data-volume="${steered}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('.hosts').innerText()).toBe(`${target.source} → ${target.dest}`);
    const seen: number[] = [];
    const deadline = Date.now() + 30_000;
    while (seen.length < 4 && Date.now() < deadline) {
      const value = Number(await row.locator('progress').getAttribute('value'));
      if (seen.at(-1) !== value) seen.push(value);
      await page.waitForTimeout(200);
    }
    // The bar moved at least three times, only forward.
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    await page.screenshot({ path: join(ARTIFACTS, 'running-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 768, height: 1000 });
    await page.screenshot({ path: join(ARTIFACTS, 'running-768.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    await row.getByRole('button', { name: 'Bandwidth…' }).click();
    await row.getByLabel('MiB/s').fill('2');
    await row.getByRole('button', { name: 'Apply' }).click();
    await row.getByText('Bandwidth set to 2.0 MiB/s').waitFor();
    await row.getByText('limit 2.0 MiB/s').waitFor({ timeout: 10_000 });
    const limits = await stack.sql(`SELECT bandwidth_limit FROM volume_migrations WHERE volume_id = $1`, [steered]);
    expect(Number(limits[0].bandwidth_limit)).toBe(2 * MIB);

    const other = await placement(stack, cancelled);
    const started = await stack.request('POST', `/v3/${PROJECT}/volumes/${cancelled}/action`, {
      headers: ADMIN,
      version: '3.73',
      body: { 'os-migrate_volume': { host: other.dest, force_host_copy: 'True', bandwidth_bytes_per_second: 256 * 1024 } },
    });
    expect(started.status).toBe(202);
    const victim = page.locator(`tr[data-volume="${cancelled}"]`);
    await victim.waitFor({ timeout: 10_000 });
    await victim.getByRole('button', { name: 'Cancel…' }).click();
    await victim.getByRole('button', { name: 'Yes, cancel' }).click();
    await victim.waitFor({ state: 'detached', timeout: 20_000 });
    await row.waitFor({ state: 'detached', timeout: 40_000 });

    await page.getByRole('link', { name: 'History' }).click();
    const done = page.locator(`tr[data-volume="${steered}"]`);
    await done.waitFor();
    expect(await done.locator('.badge.result').innerText()).toBe('success');
    expect(await page.locator(`tr[data-volume="${cancelled}"] .badge.result`).innerText()).toBe('cancelled');
    await page.getByLabel('Result').selectOption('cancelled');
    await done.waitFor({ state: 'detached' });
    await page.getByLabel('Result').selectOption('');
    await page.getByLabel('Host').fill(target.dest.split('@')[0]);
    await done.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'history-1280.png'), fullPage: true });

    await done.getByRole('link').click();
    await page.getByRole('heading', { name: `Migration of volume ${steered}` }).waitFor();
    // A finished migration's page says so from its own read, not after the stream's retry (3 s) has passed.
    await page.getByText('ended (the events stream has nothing more)').waitFor({ timeout: 1_500 });
    await page.locator('.chart canvas').waitFor();
    await page.getByText(/^estimated \S+; took /).waitFor();
    // The finished migration's curve is its past progress (about a sample a second over ~10 s), not just its start and end.
    await page.waitForFunction("Number(document.querySelector('.chart')?.getAttribute('data-points')) > 5", undefined, { timeout: 10_000 });
    expect(await page.locator('.events li').count()).toBeGreaterThan(5);
    await page.screenshot({ path: join(ARTIFACTS, 'migration-1280.png'), fullPage: true });
    await page.waitForFunction(CHART_FITS, undefined, { timeout: 5_000 });
    await page.setViewportSize({ width: 768, height: 1000 });
    await page.screenshot({ path: join(ARTIFACTS, 'migration-768.png'), fullPage: true });
    await page.waitForFunction(CHART_FITS, undefined, { timeout: 5_000 });

    expect(consoleErrors).toEqual([]);
  });
});
