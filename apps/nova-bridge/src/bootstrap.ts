import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { policyFromConfig } from '@volume/auth';
import { createLogger, PinoNestLogger } from '@volume/platform';
import { loadNovaBridgeConfig, NOVA_BRIDGE_APP } from './config';
import { LocalComputeAdapter } from './local/local-adapter';
import { NovaBridgeModule } from './nova-bridge.module';

// The local compute host's parts that whole-stack specs drive directly, with guests of their own
// (failing targets, throttled mirrors): this file is the only door into the app from outside.
export { loadNovaBridgeConfig } from './config';
export type { Guest, OpenGuest } from './local/guest';
export { LocalComputeAdapter } from './local/local-adapter';
export { openBlockFile, type BlockFile } from './local/mirror/block-file';
export { GuestDevice } from './local/mirror/guest-device';
export type { MirrorOptions } from './local/mirror/mirror-options';

/** Builds and starts nova-bridge from the given environment; used by `main.ts` and by tests. */
export async function createNovaBridgeApp(env: Record<string, string | undefined>): Promise<INestApplicationContext> {
  const config = loadNovaBridgeConfig(env);
  const policy = policyFromConfig(NOVA_BRIDGE_APP, config);
  const logger = createLogger(NOVA_BRIDGE_APP, config.LOG_LEVEL, { host: config.NOVA_BRIDGE_HOST });
  const app = await NestFactory.createApplicationContext(NovaBridgeModule.forRoot(config, logger, policy), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  return app.init();
}

/** Where the local compute host of a running nova-bridge (`NOVA_ADAPTER=local`) serves its compute API. */
export function localComputeApiUrl(app: INestApplicationContext): string {
  const adapter = app.get(NovaBridgeModule).computeAdapter;
  if (!(adapter instanceof LocalComputeAdapter) || !adapter.apiUrl) throw new Error('nova-bridge runs no local compute host');
  return adapter.apiUrl;
}
