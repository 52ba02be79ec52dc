import { runPolicyCommand } from './policy-command';

// `npm run policy` from a checkout (through @swc-node/register); a build runs the same command as
// `node dist/apps/volume-api/main.js policy`.
process.exitCode = runPolicyCommand(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
