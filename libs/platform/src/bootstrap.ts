import { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'pino';
import { ConfigError } from './config';

/**
 * Stops on SIGTERM/SIGINT within a bounded time: Nest runs the shutdown hooks (services stop taking
 * work and checkpoint, then connections close); if that hangs, the process exits anyway.
 */
export function installGracefulShutdown(app: INestApplicationContext, log: Logger, timeoutS: number): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error({ timeoutS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, timeoutS * 1000).unref();
    app
      .close()
      .then(() => {
        log.info('stopped');
        log.flush?.();
        process.exit(0);
      })
      .catch((err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Runs an app's main; a bad configuration prints its problems and exits 1 without a stack trace. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(`fatal: ${(err as Error)?.stack ?? String(err)}\n`);
    }
    process.exit(1);
  });
}
