/** The `gantry` executable: real streams, env and Ctrl-C around runCli. */
import { runCli } from './run.js';

const controller = new AbortController();
let interruptedAt = 0;
process.on('SIGINT', () => {
  // A terminal's Ctrl-C may arrive twice (to bin/gantry.mjs, which forwards it, and to this process).
  if (interruptedAt && Date.now() - interruptedAt > 1000) process.exit(130); // a second Ctrl-C does not wait
  if (!interruptedAt) interruptedAt = Date.now();
  controller.abort();
});
process.on('SIGTERM', () => controller.abort());

runCli(process.argv.slice(2), {
  stdout: {
    write: (t) => void process.stdout.write(t),
    get isTTY() {
      return Boolean(process.stdout.isTTY);
    },
    get columns() {
      return process.stdout.columns;
    },
  },
  stderr: { write: (t) => void process.stderr.write(t), isTTY: Boolean(process.stderr.isTTY) },
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`gantry: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 3;
  },
);
