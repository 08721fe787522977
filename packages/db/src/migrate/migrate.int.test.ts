import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { createTestDatabase, testServerUrl, waitUntil, type TestDatabase } from '@gantry/testing';
import pg from 'pg';

import { withDatabase } from '../connection.js';
import { ensureDatabase } from './database.js';
import { defaultMigrationsDir, readMigrationsFolder } from './directory.js';
import { migrateDatabase } from './apply.js';
import { PRISMA_MIGRATE_LOCK_KEY } from './lock.js';
import { pendingMigrations } from './pending.js';

const dir = defaultMigrationsDir();
let names: string[];
const databases: TestDatabase[] = [];

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrate: false });
  databases.push(db);
  return db;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  names = (await readMigrationsFolder(dir)).migrations.map((m) => m.name);
});
afterAll(() => Promise.all(databases.map((db) => db.drop())));

describe('migrateDatabase', () => {
  it('applies every migration to an empty database, then nothing, and reports no pending', async () => {
    const db = await emptyDatabase();
    expect(await pendingMigrations(db.url)).toEqual(names);
    const lines: string[] = [];
    expect(await migrateDatabase(db.url, { migrationsDir: dir, log: (l) => lines.push(l) })).toEqual(names);
    expect(lines).toContain(`Applying migration \`${names[0]}\``);
    expect(await migrateDatabase(db.url, { migrationsDir: dir })).toEqual([]);
    expect(await pendingMigrations(db.url)).toEqual([]);
    expect(await query(db.url, 'SELECT 1 FROM _prisma_migrations')).toHaveLength(names.length);
  });

  it("writes _prisma_migrations exactly like Prisma's schema engine", async () => {
    const db = await emptyDatabase();
    await migrateDatabase(db.url);
    const columns = await query(
      db.url,
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, is_nullable: 'NO', column_default: null },
      { column_name: 'checksum', data_type: 'character varying', len: 64, is_nullable: 'NO', column_default: null },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'migration_name', data_type: 'character varying', len: 255, is_nullable: 'NO', column_default: null },
      { column_name: 'logs', data_type: 'text', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: 'now()' },
      { column_name: 'applied_steps_count', data_type: 'integer', len: null, is_nullable: 'NO', column_default: '0' },
    ]);
    const rows = await query<Record<string, unknown>>(db.url, 'SELECT * FROM _prisma_migrations ORDER BY started_at');
    rows.forEach((row, i) => {
      const bytes = readFileSync(path.join(dir, names[i] ?? '', 'migration.sql'));
      expect(row).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        checksum: createHash('sha256').update(bytes).digest('hex'),
        migration_name: names[i],
        logs: null,
        rolled_back_at: null,
        applied_steps_count: 1,
      });
      expect((row.finished_at as Date).getTime()).toBeGreaterThanOrEqual((row.started_at as Date).getTime());
    });
  });

  it('lets concurrent runs apply each migration once (Prisma advisory lock)', async () => {
    const db = await emptyDatabase();
    const results = await Promise.all([migrateDatabase(db.url), migrateDatabase(db.url), migrateDatabase(db.url)]);
    expect(results.flat().sort()).toEqual([...names].sort());
    expect(await query(db.url, 'SELECT 1 FROM _prisma_migrations')).toHaveLength(names.length);
  });

  it('waits for, and times out on, the lock a `prisma migrate` session holds', async () => {
    const db = await emptyDatabase();
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})`);
      await expect(migrateDatabase(db.url, { lockTimeoutMs: 300 })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      const waiting = migrateDatabase(db.url, { lockTimeoutMs: 10_000 });
      // Until the migrator is queued behind the holder (a lock request not granted yet).
      const queued = async () =>
        Number((await holder.query(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = ${PRISMA_MIGRATE_LOCK_KEY}`)).rows[0].count) > 0;
      await waitUntil(async () => ((await queued()) ? true : undefined), 10_000, 10);
      await holder.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_KEY})`);
      expect(await waiting).toEqual(names);
    } finally {
      await holder.end();
    }
  });
});

describe('ensureDatabase', () => {
  it('creates a missing database once, and pendingMigrations sees all migrations pending before', async () => {
    const name = `gantry_t_${randomBytes(6).toString('hex')}`;
    const url = withDatabase(testServerUrl(), name);
    try {
      expect(await pendingMigrations(url)).toEqual(names);
      expect(await Promise.all([ensureDatabase(url), ensureDatabase(url)])).toEqual(expect.arrayContaining([true, false]));
      expect(await ensureDatabase(url)).toBe(false);
      expect(await query(url, 'SELECT current_database() AS db')).toEqual([{ db: name }]);
    } finally {
      await query(testServerUrl(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});
