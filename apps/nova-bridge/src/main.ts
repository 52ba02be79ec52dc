import 'pg';
import 'nats';
import { Logger } from 'pino';
import { installGracefulShutdown, LOGGER, runMain } from '@volume/platform';
import { createNovaBridgeApp } from './bootstrap';
import { loadNovaBridgeConfig } from './config';

runMain(async () => {
  const config = loadNovaBridgeConfig();
  const app = await createNovaBridgeApp(process.env);
  installGracefulShutdown(app, app.get<Logger>(LOGGER), config.SHUTDOWN_TIMEOUT_S);
});
