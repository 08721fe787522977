// The Node.js flags the API process runs with: apps/api/node-flags, one per line, `#` comments,
// or GANTRY_API_NODE_FLAGS in their place (docs/operations.md, "API process flags").
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../apps/api/node-flags');

/**
 * The flags of apps/api/node-flags (or of `root`'s copy), in order; GANTRY_API_NODE_FLAGS, when
 * set, replaces them (space-separated; empty: none).
 */
export function apiNodeFlags(root, env = process.env) {
  if (env.GANTRY_API_NODE_FLAGS !== undefined) return env.GANTRY_API_NODE_FLAGS.split(/\s+/).filter(Boolean);
  const file = root ? path.join(root, 'apps/api/node-flags') : FILE;
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
