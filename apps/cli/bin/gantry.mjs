#!/usr/bin/env node
// The `gantry` command: runs the built CLI (dist/main.js) when there is one, else its TypeScript
// sources through tsx, so `npx gantry` works in the repository right after `npm ci`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/main.js`;

if (existsSync(built)) {
  createRequire(import.meta.url)(built);
} else {
  // tsx resolved from this file (not from the caller's directory), as a file URL for --import.
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--conditions=@gantry/source', '--import', tsx, `${root}src/main.ts`, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // Signals go on to the CLI (it ignores a second SIGINT within a second: a terminal's Ctrl-C
  // reaches both processes).
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const s of signals) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}
