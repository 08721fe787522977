import { spawnSync } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createTestDatabase, type TestDatabase } from '@gantry/testing';
import pg from 'pg';

import { migrateDatabase } from './apply.js';
import { defaultMigrationsDir, readMigrationsFolder } from './directory.js';

let db: TestDatabase;
let dir: string;
let init: string;

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function addMigration(name: string, script: string): Promise<void> {
  await mkdir(path.join(dir, name), { recursive: true });
  await writeFile(path.join(dir, name, 'migration.sql'), script);
}

// One database and a private copy of the migrations folder per test, so each can break them.
beforeEach(async () => {
  db = await createTestDatabase({ migrate: false });
  dir = await mkdtemp(path.join(tmpdir(), 'gantry-migrations-'));
  await cp(defaultMigrationsDir(), dir, { recursive: true });
  init = (await readMigrationsFolder(dir)).migrations[0]?.name ?? '';
  await migrateDatabase(db.url, { migrationsDir: dir });
});
afterEach(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('the migrator refuses', () => {
  it('an applied migration whose file changed, also through the CLI (non-zero exit)', async () => {
    await appendFile(path.join(dir, init, 'migration.sql'), '\n-- edited after the fact\n');
    await expect(migrateDatabase(db.url, { migrationsDir: dir })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });

    const cli = spawnSync(process.execPath, ['scripts/migrate.mjs', '--url', db.url, '--dir', dir], {
      cwd: path.resolve(__dirname, '../../../..'),
      encoding: 'utf8',
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('CHECKSUM_MISMATCH');
    expect(cli.stderr).toContain(init);
  });

  it('a history with a failed migration (finished_at NULL, not rolled back), until it is resolved', async () => {
    await addMigration('20990101000000_next', 'CREATE TABLE "next_thing" ("id" INTEGER NOT NULL);\n');
    await sql(`INSERT INTO _prisma_migrations (id, checksum, migration_name, logs)
               VALUES ('0e0b9a4e-58d4-4f39-9d4b-1c1f1b0e6c11', 'x', '20990101000000_next', 'db error: boom')`);
    await expect(migrateDatabase(db.url, { migrationsDir: dir })).rejects.toMatchObject({
      code: 'FAILED_MIGRATION_FOUND',
      message: expect.stringContaining('boom'),
    });
    // `prisma migrate resolve --rolled-back` sets rolled_back_at; the migration is then applied again.
    await sql(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20990101000000_next'`);
    expect(await migrateDatabase(db.url, { migrationsDir: dir })).toEqual(['20990101000000_next']);
  });

  it('a schema with tables but no migration history (needs a baseline)', async () => {
    await sql('DROP TABLE _prisma_migrations');
    await expect(migrateDatabase(db.url, { migrationsDir: dir })).rejects.toMatchObject({ code: 'SCHEMA_NOT_EMPTY' });
  });
});

describe('a failing migration', () => {
  it('is rolled back entirely, leaves no row, and stays pending', async () => {
    await addMigration('20990101000000_broken', 'CREATE TABLE "half_done" ("id" INTEGER);\nSELECT 1;\nALTER TABLE "nope" ADD COLUMN "x" INTEGER;\n');
    const err = await migrateDatabase(db.url, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'APPLY_FAILED', message: expect.stringMatching(/20990101000000_broken.*"nope".*42P01/s) });
    expect(await sql("SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
    const real = (await readMigrationsFolder(dir)).migrations.map((m) => m.name).filter((n) => !n.startsWith('2099'));
    expect(await sql('SELECT migration_name FROM _prisma_migrations ORDER BY migration_name')).toEqual(real.map((migration_name) => ({ migration_name })));

    // Syntax errors carry a position, reported as a line of the script.
    await writeFile(path.join(dir, '20990101000000_broken', 'migration.sql'), 'CREATE TABLE "half_done" ("id" INTEGER);\nSELEC 1;\n');
    await expect(migrateDatabase(db.url, { migrationsDir: dir })).rejects.toThrow(/line 2/);

    await writeFile(path.join(dir, '20990101000000_broken', 'migration.sql'), 'CREATE TABLE "half_done" ("id" INTEGER);\n');
    expect(await migrateDatabase(db.url, { migrationsDir: dir })).toEqual(['20990101000000_broken']);
  });
});

it('accepts a migration checked out with CRLF line endings, as Prisma does', async () => {
  const file = path.join(dir, init, 'migration.sql');
  await writeFile(file, (await readFile(file, 'utf8')).replace(/\n/g, '\r\n'));
  expect(await migrateDatabase(db.url, { migrationsDir: dir })).toEqual([]);
});
