// Imported here so that the bundle's generated package.json lists the drivers loaded at run time.
import 'pg';
import 'nats';
import { Logger } from 'pino';
import { APP_CONFIG, installGracefulShutdown, LOGGER, runMain } from '@volume/platform';
import { createWorkerApp } from './bootstrap';
import type { WorkerConfig } from './config';

runMain(async () => {
  const app = await createWorkerApp(process.env);
  installGracefulShutdown(app, app.get<Logger>(LOGGER), app.get<WorkerConfig>(APP_CONFIG).SHUTDOWN_TIMEOUT_S);
});
