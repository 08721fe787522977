// Spawns a TypeScript entry point of this repo with tsx, reading sibling packages from source
// (the "@gantry/source" export condition), so `npm start` needs no build step.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `nodeArgs`: Node.js flags before the entry point (the API's: apiNodeFlags of api-node-flags.mjs). */
export function runTs(entry, { env = {}, name, stdio = 'inherit', nodeArgs = [] } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, '--conditions=@gantry/source', '--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio,
  });
  child.name = name ?? entry;
  return child;
}
