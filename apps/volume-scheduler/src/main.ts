import 'pg';
import 'nats';
import { Logger } from 'pino';
import { installGracefulShutdown, LOGGER, runMain } from '@volume/platform';
import { createSchedulerApp } from './bootstrap';
import { loadSchedulerConfig } from './config';

runMain(async () => {
  const config = loadSchedulerConfig();
  const app = await createSchedulerApp(process.env);
  installGracefulShutdown(app, app.get<Logger>(LOGGER), config.SHUTDOWN_TIMEOUT_S);
});
