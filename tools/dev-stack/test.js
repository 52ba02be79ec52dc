'use strict';
// `npm test`: lint (which enforces the layering between projects), then one Jest run over every project
// against a real PostgreSQL and NATS, found or started. Extra arguments go to Jest, e.g.
// `npm test -- libs/domain` or `npm test -- -t migrate`; such a partial run skips the lint.
const infra = require('./infra');

const { log } = infra;
const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function main() {
  const stops = [];
  const jestArgs = process.argv.slice(2);
  let step = null;
  let interrupted = null;
  infra.onShutdownSignals(
    (name) => {
      interrupted = name;
      // From a terminal the step got the signal already; from a process manager only we did.
      if (step) step.child.kill(name);
      else log(`${name} received: stopping`);
    },
    () => step && step.child.kill('SIGKILL'),
  );

  let exitCode = 1;
  try {
    infra.ensureDependencies();
    if (jestArgs.length === 0) {
      log('running: npx nx run-many -t lint');
      step = infra.run('npx', ['nx', 'run-many', '-t', 'lint', '--outputStyle=static'], { env: infra.nxEnv() });
      const lintCode = await step;
      step = null;
      if (lintCode !== 0) {
        exitCode = interrupted ? 130 : lintCode;
        throw new Error(interrupted ? `${interrupted} received: stopped during lint` : 'lint failed (see above)');
      }
    }
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
      const args = ['jest', '--config', 'jest.config.js', '--ci', ...jestArgs];
      log(`running: npx ${args.join(' ')}`);
      step = infra.run('npx', args, { env: { ...process.env, DATABASE_URL: pg.url, NATS_URL: nats.url } });
      exitCode = await step;
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
