import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TestStack } from '@volume/testing-stack';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Where the browser specs leave their screenshots (docs/ has the README's copies). */
export const ARTIFACTS = resolve(__dirname, '../../../../dist/test-artifacts/console');

/** A build of the console of its own, for volume-api's CONSOLE_DIR. */
async function buildConsole(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'console-build-'));
  await promisify(execFile)('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: resolve(__dirname, '../..'), env: { ...process.env, CONSOLE_OUT_DIR: dir } });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Debian's headless Chromium with one page at 1280 px, collecting what the page logs as errors. */
async function openBrowser(): Promise<{ browser: Browser; page: Page; consoleErrors: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors: string[] = [];
  page.on('console', (msg) => msg.type() === 'error' && consoleErrors.push(msg.text()));
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  await mkdir(ARTIFACTS, { recursive: true });
  return { browser, page, consoleErrors };
}

export interface ConsoleRun {
  stack: TestStack;
  /** http://127.0.0.1:<port>, where volume-api serves the API and /console/. */
  base: string;
  page: Page;
  consoleErrors: string[];
  stop(): Promise<void>;
}

/** A fresh build of the console, served by the stack `start` makes with it (its CONSOLE_DIR), and a browser. */
export async function startConsole(start: (consoleDir: string) => Promise<TestStack>): Promise<ConsoleRun> {
  const build = await buildConsole();
  let stack: TestStack | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    await stack?.stop();
    await build.remove();
  };
  try {
    stack = await start(build.dir);
    await stack.api.app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(stack.api.app.getHttpServer().address() as { port: number }).port}`;
    const opened = await openBrowser();
    browser = opened.browser;
    return { stack, base, page: opened.page, consoleErrors: opened.consoleErrors, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
