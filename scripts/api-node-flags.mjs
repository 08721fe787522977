// The Node.js flags the API process runs with: apps/api/node-flags, one per line, `#` comments.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../apps/api/node-flags');

/** The flags of apps/api/node-flags (or of `root`'s copy), in order. */
export function apiNodeFlags(root) {
  const file = root ? path.join(root, 'apps/api/node-flags') : FILE;
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
