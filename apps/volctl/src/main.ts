import { runCli } from './cli';
import type { CliIo } from './commands/cli-context';
import { ExitCode } from './exit-codes';

const io: CliIo = {
  env: process.env,
  cwd: process.cwd(),
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  tty: process.stdout.isTTY ? process.stdout : undefined,
  interrupts: () => {
    const controller = new AbortController();
    const onInterrupt = () => controller.abort();
    process.on('SIGINT', onInterrupt);
    return { signal: controller.signal, dispose: () => process.off('SIGINT', onInterrupt) };
  },
};

runCli(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = ExitCode.Failed;
  },
);
