#!/usr/bin/env node
/**
 * `npm run db:migrate` — applies prisma/migrations to the database of prisma.config.ts (DATABASE_URL,
 * default postgresql://postgres@127.0.0.1:5432/gantry) without Prisma's schema engine, keeping
 * Prisma's `_prisma_migrations` bookkeeping so `prisma migrate deploy` can be used on the same
 * database elsewhere. Creates the database if it does not exist.
 *
 *   node scripts/migrate.mjs                 apply pending migrations
 *   node scripts/migrate.mjs --status        list pending migrations, change nothing
 *   node scripts/migrate.mjs --check-drift   also fail if the database differs from schema.prisma
 *   node scripts/migrate.mjs --url <url>     another database than prisma.config.ts names
 *   node scripts/migrate.mjs --dir <path>    another migrations folder than prisma.config.ts names
 *
 * Exit status: 0 done, 1 refused or failed (the message says why), 2 bad usage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Sibling packages must resolve to their sources (the "@gantry/source" export condition), not to
// a dist/ that a fresh checkout does not have: re-run under that condition when tsx is installed.
const SOURCE_CONDITION = '--conditions=@gantry/source';
if (!process.execArgv.includes(SOURCE_CONDITION) && existsSync(path.join(root, 'node_modules', 'tsx'))) {
  const child = spawnSync(process.execPath, [SOURCE_CONDITION, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

/** Loads a TypeScript module of this repository through tsx (a dev dependency). */
async function importTs(relativePath) {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(path.join(root, relativePath), import.meta.url);
}

/** The database layer: its sources through tsx, else its build (hosts installed without dev deps). */
async function loadDb() {
  try {
    return await importTs('packages/db/src/index.ts');
  } catch (err) {
    const built = path.join(root, 'packages/db/dist/index.js');
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !existsSync(built)) throw err;
    return import(built);
  }
}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        status: { type: 'boolean' },
        'check-drift': { type: 'boolean' },
        url: { type: 'string' },
        dir: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    console.error(err.message);
    return 2;
  }
  if (args.help) {
    console.log('usage: node scripts/migrate.mjs [--status] [--check-drift] [--url <postgresql-url>] [--dir <migrations>]');
    return 0;
  }
  // prisma.config.ts is the one place that knows the database URL and the migrations folder.
  // The repository is CommonJS, so the ESM view of its default export is `{ default: config }`.
  const configModule = await importTs('prisma.config.ts');
  const config = configModule.default?.default ?? configModule.default;
  const url = args.url ?? config.datasource?.url;
  const migrationsDir = args.dir ? path.resolve(args.dir) : path.resolve(root, config.migrations?.path ?? 'prisma/migrations');
  // Use the CommonJS exports object itself: Node's named-export detection misses `export *`.
  const dbModule = await loadDb();
  const db = dbModule.default ?? dbModule;
  const where = `database "${db.parseDatabaseUrl(url).database}"`;

  if (args.status) {
    const pending = await db.pendingMigrations(url, { migrationsDir });
    console.log(pending.length ? `Pending on ${where}:\n${pending.map((n) => `  ${n}`).join('\n')}` : `${where} is up to date.`);
    return 0;
  }
  const applied = await db.migrateDatabase(url, { migrationsDir, log: (line) => console.log(line) });
  console.log(applied.length ? `${where}: applied ${applied.length} migration(s).` : `${where} is up to date.`);
  if (args['check-drift']) {
    const drift = await db.findSchemaDrift(url);
    if (drift.length) {
      console.error(`${where} does not match prisma/schema.prisma:\n${drift.map((d) => `  - ${d}`).join('\n')}`);
      return 1;
    }
    console.log(`${where} matches prisma/schema.prisma.`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // MigrationError messages are written for operators; anything else gets its stack.
    console.error(err?.name === 'MigrationError' ? `migrate: ${err.code}: ${err.message}` : err);
    process.exit(1);
  },
);
