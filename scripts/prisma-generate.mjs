#!/usr/bin/env node
/**
 * Generates the Prisma client (packages/db/src/generated) offline, and only when needed.
 *
 * Called from the root `postinstall`, `npm run db:generate`, and before `npm start` / `npm test`,
 * so it must be cheap when nothing changed: it hashes its inputs (schema.prisma, the DMMF generator,
 * the Prisma versions) and compares with the hash stored next to the output, in `.schema-hash`.
 *
 *   node scripts/prisma-generate.mjs           generate if stale
 *   node scripts/prisma-generate.mjs --force   generate anyway
 *   node scripts/prisma-generate.mjs --check   exit 1 if stale, generate nothing
 *
 * Offline: the Prisma CLI insists on finding its native schema engine before `generate` and tries
 * to download it. Generation itself only needs WebAssembly, so the child process (and only it) gets
 * PRISMA_SCHEMA_ENGINE_BINARY pointing at an existing file: this script, which is never executed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const outputDir = path.join(root, 'packages/db/src/generated');
const stampPath = path.join(outputDir, '.schema-hash');
const inputs = ['prisma/schema.prisma', 'packages/db/scripts/dmmf-generator.mjs'];
const require = createRequire(path.join(root, 'package.json'));

function resolveOptional(specifier) {
  try {
    return require.resolve(specifier);
  } catch {
    return undefined;
  }
}

/** Hash of everything the generated files depend on. */
function inputsHash() {
  const hash = createHash('sha256');
  for (const file of inputs) hash.update(`${file}\0`).update(readFileSync(path.join(root, file))).update('\0');
  for (const pkg of ['prisma/package.json', '@prisma/client/package.json']) {
    hash.update(`${pkg}@${JSON.parse(readFileSync(require.resolve(pkg), 'utf8')).version}\0`);
  }
  return hash.digest('hex');
}

function isCurrent(hash) {
  if (!existsSync(path.join(outputDir, 'client.ts')) || !existsSync(path.join(outputDir, 'datamodel.json'))) return false;
  return existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === hash;
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Cross-process lock (an atomic mkdir in the temp dir), so `npm start` and `npm test` starting
 * together do not both delete and rewrite the output. A lock older than two minutes is abandoned.
 */
function withLock(fn) {
  const lock = path.join(os.tmpdir(), `gantry-prisma-generate-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`);
  for (const deadline = Date.now() + 180_000; ; sleep(200)) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`prisma-generate: lock ${lock} is still held`);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function generate(hash) {
  // Start clean: a half-written output (an interrupted run) would make Prisma refuse the folder.
  rmSync(outputDir, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [resolveOptional('prisma/build/index.js'), 'generate'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: self, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
  if (result.status !== 0) {
    console.error(`prisma-generate: \`prisma generate\` failed (${result.error?.message ?? `exit ${result.status}`})`);
    return result.status || 1;
  }
  writeFileSync(stampPath, `${hash}\n`);
  return 0;
}

function main(args) {
  if (!resolveOptional('prisma/build/index.js') || !resolveOptional('@prisma/client/package.json')) {
    // An install without dev dependencies has no Prisma CLI; it must ship a generated client instead.
    console.warn('prisma-generate: Prisma CLI not installed, skipping client generation.');
    return args.includes('--check') ? 1 : 0;
  }
  const hash = inputsHash();
  if (args.includes('--check')) {
    if (isCurrent(hash)) return 0;
    console.error('prisma-generate: the generated Prisma client is stale or missing; run `npm run db:generate`.');
    return 1;
  }
  if (!args.includes('--force') && isCurrent(hash)) return 0;
  return withLock(() => (!args.includes('--force') && isCurrent(hash) ? 0 : generate(hash)));
}

process.exitCode = main(process.argv.slice(2));
