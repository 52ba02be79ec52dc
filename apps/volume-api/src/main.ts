import 'pg';
import 'nats';
import { Logger } from 'pino';
import { runPolicyCommand } from '@volume/auth';
import { createLogger, installGracefulShutdown, LOGGER, runMain } from '@volume/platform';
import { runMigrations } from '@volume/persistence';
import { createApiApp } from './bootstrap';
import { loadApiConfig, warnIfNoauthIsExposed } from './config';

runMain(async () => {
  // `main.js policy [--file f]` prints the effective policy and exits (no database, no NATS), so
  // that an image, which has no dev dependencies for `npm run policy`, can show it too.
  if (process.argv[2] === 'policy') {
    process.exitCode = runPolicyCommand(process.argv.slice(3), process.env, {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
    return;
  }
  // `main.js migrate` applies the database migrations and exits: the one-shot deploy job uses it.
  if (process.argv[2] === 'migrate') {
    const config = loadApiConfig();
    const log = createLogger('migrate', config.LOG_LEVEL);
    const applied = await runMigrations(config.DATABASE_URL);
    log.info({ applied }, applied.length ? 'migrations applied' : 'schema is up to date');
    return;
  }
  const { app, config } = await createApiApp(process.env);
  const log = app.get<Logger>(LOGGER);
  installGracefulShutdown(app, log, config.SHUTDOWN_TIMEOUT_S);
  await app.listen(config.API_PORT, config.API_HOST);
  log.info({ port: config.API_PORT }, 'volume-api listening');
  warnIfNoauthIsExposed(config, log);
});
