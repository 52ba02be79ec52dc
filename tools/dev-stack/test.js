'use strict';
// `npm test`: one Jest run over every project against a real PostgreSQL and NATS, found or started.
// Extra arguments go to Jest, e.g. `npm test -- libs/domain` or `npm test -- -t migrate`.
const infra = require('./infra');

const { log } = infra;
const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function main() {
  const stops = [];
  let jest = null;
  let interrupted = null;
  infra.onShutdownSignals(
    (name) => {
      interrupted = name;
      // From a terminal Jest got the signal already; from a process manager only we did.
      if (jest) jest.child.kill(name);
      else log(`${name} received: stopping`);
    },
    () => jest && jest.child.kill('SIGKILL'),
  );

  let exitCode = 1;
  try {
    infra.ensureDependencies();
    // The tests create their own databases: only the server of DATABASE_URL matters, so target `postgres`.
    const server = new URL(process.env.DATABASE_URL || DEFAULT_SERVER_URL);
    server.pathname = '/postgres';
    const pg = await infra.ensurePostgres(server.toString());
    stops.push(pg.stop);
    const nats = await infra.ensureNats(process.env.NATS_URL);
    stops.push(nats.stop);

    if (interrupted) {
      exitCode = 130;
    } else {
      const args = ['jest', '--config', 'jest.config.js', '--ci', ...process.argv.slice(2)];
      log(`running: npx ${args.join(' ')}`);
      jest = infra.run('npx', args, { env: { ...process.env, DATABASE_URL: pg.url, NATS_URL: nats.url } });
      exitCode = await jest;
    }
  } catch (err) {
    console.error(`[dev-stack] ${err.message}`);
  } finally {
    for (const stop of stops.reverse()) {
      await stop().catch((err) => log(`stopping infrastructure failed: ${err.message}`));
    }
  }
  process.exit(exitCode);
}

main();
