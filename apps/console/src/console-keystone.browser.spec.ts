import { join } from 'node:path';
import type { Request } from 'playwright-core';
import { TestKeystone } from '@volume/testing';
import { TestStack } from '@volume/testing-stack';
import { ARTIFACTS, type ConsoleRun, startConsole } from './test-support/console-browser';

// A real Keystone (Debian's package), the whole stack validating its tokens, the built console in Chromium.
jest.setTimeout(120_000);

const REFUSED = 'The request you have made requires authentication.';

describe('console sign-in against a real Keystone', () => {
  let starting: Promise<TestKeystone>;
  let keystone: TestKeystone;
  let run: ConsoleRun;

  beforeAll(async () => {
    // Keystone starts while the console builds.
    starting = TestKeystone.start();
    starting.catch(() => undefined);
    run = await startConsole(async (dir) => {
      keystone = await starting;
      return TestStack.start({ apiEnv: { ...keystone.authEnv(), CONSOLE_DIR: dir } });
    });
  });

  afterAll(async () => {
    await run?.stop();
    await (await starting?.catch(() => undefined))?.stop();
  });

  it('when an admin signs in with username, password and project, then the migrations page reads the API live with a Keystone token', async () => {
    const { base, page, consoleErrors } = run;
    await page.goto(`${base}/console/`);
    await page.getByText(`Keystone password sign-in (${keystone.authUrl})`).waitFor();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByLabel('Project').fill('admin');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').innerText()).toBe(REFUSED);

    const apiCalls: Request[] = [];
    page.on('request', (r) => r.url().includes('/v3/') && apiCalls.push(r));
    await page.getByLabel('Password').fill(keystone.adminPassword);
    const listed = page.waitForResponse((r) => r.url().includes(`/v3/${keystone.projects.admin}/volume-migrations?`));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Running migrations' }).waitFor();
    expect((await listed).status()).toBe(200);
    await page.getByText('live (events stream)').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'keystone-signed-in-1280.png'), fullPage: true });

    // The token Keystone issued (not noauth's user:project) goes in a header, never in a URL.
    const token = apiCalls[0].headers()['x-auth-token'];
    expect(token).toMatch(/^[\w-]{40,}$/);
    for (const call of apiCalls) expect(call.url()).not.toContain(token);
    expect(page.url()).not.toContain(token);
    // The one error logged is the browser's note of the refused password's 401.
    expect(consoleErrors).toEqual([expect.stringContaining('401')]);
  });
});
