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

// A reader that stops early (`volctl volumes list | head -1`, `| true`) closes the pipe: what is left to
// write has nobody to read it, so volctl ends quietly with 0, as when everything was read, never with
// Node's stack trace for an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(ExitCode.Ok);
  });
}

runCli(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = ExitCode.Failed;
  },
);
