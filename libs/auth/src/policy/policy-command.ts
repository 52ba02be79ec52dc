import { parseArgs } from 'node:util';
import { loadPolicy } from './policy-enforcer';
import { PolicyFileError } from './policy-file';

const USAGE = `Usage: npm run policy -- [--file <policy.yaml>]                 (from a checkout)
       node dist/apps/volume-api/main.js policy [--file <policy.yaml>]   (from a build or image)

Prints the effective policy (the defaults, Cinder's and Nova's for the local compute host,
with the policy file over them) as YAML. --file defaults to $POLICY_FILE; without either, the
defaults alone. Exits 1 if the file cannot be used, naming its line, as volume-api and
nova-bridge refuse to start with it.`;

export interface CommandOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * `main.js policy` (and `npm run policy`), Cinder's `oslopolicy-policy-generator --namespace cinder`
 * for this service: what an operator reads before and after writing POLICY_FILE. Returns the exit code.
 */
export function runPolicyCommand(argv: string[], env: Record<string, string | undefined>, io: CommandOutput): number {
  let file: string | undefined;
  try {
    const { values } = parseArgs({ args: argv, options: { file: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    file = values.file ?? env.POLICY_FILE;
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    io.out(loadPolicy(file || undefined).toYaml());
    return 0;
  } catch (err) {
    if (!(err instanceof PolicyFileError)) throw err;
    io.err(`${err.message}\n`);
    return 1;
  }
}
