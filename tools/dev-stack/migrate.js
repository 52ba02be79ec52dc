'use strict';
// `npm run migrate`: bring the database of DATABASE_URL to the latest schema. Builds volume-api and
// runs its `migrate` command, which owns the migrations; PostgreSQL is found or started (and then stopped).
const path = require('path');
const infra = require('./infra');

const { repoRoot, log } = infra;

async function main() {
  let current = null;
  let interrupted = false;
  infra.onShutdownSignals(
    (name) => {
      interrupted = true;
      log(`${name} received: stopping`);
      if (current) current.child.kill(name);
    },
    () => current && current.child.kill('SIGKILL'),
  );

  let pg = null;
  let exitCode = 1;
  try {
    infra.ensureDependencies();
    pg = await infra.ensurePostgres(process.env.DATABASE_URL);
    const steps = [
      ['build', 'npx', ['nx', 'build', 'volume-api'], { env: infra.nxEnv() }],
      [
        'migrations',
        process.execPath,
        [path.join(repoRoot, 'dist', 'apps', 'volume-api', 'main.js'), 'migrate'],
        { env: { ...process.env, DATABASE_URL: pg.url } },
      ],
    ];
    for (const [what, command, args, options] of steps) {
      if (interrupted) break;
      const shown = args.map((a) => (path.isAbsolute(a) ? path.relative(repoRoot, a) : a)).join(' ');
      log(`${what}: ${command === process.execPath ? 'node' : command} ${shown}`);
      current = infra.run(command, args, options);
      exitCode = await current;
      current = null;
      if (exitCode !== 0) {
        if (!interrupted) log(`${what} failed (exit code ${exitCode})`);
        break;
      }
    }
    if (interrupted) exitCode = 130;
    else if (exitCode === 0) log('migrations done');
  } catch (err) {
    console.error(`[dev-stack] ${err.message}`);
  } finally {
    if (pg) await pg.stop().catch((err) => log(`stopping PostgreSQL failed: ${err.message}`));
  }
  process.exit(exitCode);
}

main();
