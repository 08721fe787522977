/**
 * Real faults, real errors: connections killed with pg_terminate_backend on the shared test server,
 * and a private server stopped and started again. Every error seen must be one isTransientDbError
 * accepts, and withDbRetry must come through once the database is back.
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabase, startThrowawayPostgres, type TestDatabase, type ThrowawayPostgres } from '@gantry/testing';
import pg from 'pg';

import { createPrisma } from './client.js';
import type { PrismaClient } from './generated/client.js';
import { isTransientDbError, transientReason, withDbRetry } from './transient.js';

/** Polls `check` every 20 ms until it is true; fails after `timeoutMs` (bounded in time and count). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < timeoutMs / 20; i += 1) {
    if (await check()) return;
    if (Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const outcome = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; err: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );

describe('pg_terminate_backend of the pool connections', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let admin: pg.Client;
  const app = `gantry-term-${randomBytes(4).toString('hex')}`;
  const backends = async (state?: string) =>
    (await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 ${state ? 'AND state = $2' : ''}`, state ? [app, state] : [app])).rows;
  const terminateAll = async () => admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrisma(db.url, { poolSize: 2, applicationName: app });
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await admin?.end();
    await db?.drop();
  });

  it('fails a running statement with a transient error (57P01) and the next one recovers', async () => {
    const running = outcome(prisma.$queryRaw`SELECT pg_sleep(30)::text`);
    await until('the statement to run', async () => (await backends('active')).length === 1);
    await terminateAll();
    const result = await running;
    expect(result.ok).toBe(false);
    const err = (result as { err: unknown }).err;
    expect(isTransientDbError(err)).toBe(true);
    expect(transientReason(err)).toBe('server shutting down');
    expect(await withDbRetry(() => prisma.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`, { deadlineMs: 20_000 })).toEqual([{ one: 1 }]);
  });

  it('after idle connections are killed, the next query succeeds or fails transiently, and withDbRetry recovers', async () => {
    // Two concurrent statements open both pool connections.
    await Promise.all([prisma.$queryRaw`SELECT pg_sleep(0.05)::text`, prisma.$queryRaw`SELECT pg_sleep(0.05)::text`]);
    await until('two idle pool connections', async () => (await backends('idle')).length === 2);
    await terminateAll();
    await until('the connections to be gone', async () => (await backends()).length === 0);

    const next = await outcome(prisma.tenant.count());
    if (!next.ok) expect(transientReason(next.err)).toBeDefined();
    else expect(next.value).toBe(0);
    const retries: unknown[] = [];
    const counted = await withDbRetry(() => prisma.tenant.count(), { deadlineMs: 20_000, onRetry: (err) => retries.push(err) });
    expect(counted).toBe(0);
    expect(retries.every(isTransientDbError)).toBe(true);
  });

  it('fails an interactive transaction whose connection is killed with a transient error', async () => {
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const tx = outcome(
      prisma.$transaction(async (t) => {
        await t.$queryRaw`SELECT 1`;
        inside();
        return t.$queryRaw`SELECT pg_sleep(30)::text`;
      }, { timeout: 60_000 }),
    );
    await entered;
    await until('the transaction statement to run', async () => (await backends('active')).length === 1);
    await terminateAll();
    const result = await tx;
    expect(result.ok).toBe(false);
    expect(isTransientDbError((result as { err: unknown }).err)).toBe(true);
    await expect(withDbRetry(() => prisma.$transaction((t) => t.tenant.count()), { deadlineMs: 20_000 })).resolves.toBe(0);
  });
});

describe('a PostgreSQL server that stops and comes back', () => {
  let server: ThrowawayPostgres;
  let prisma: PrismaClient;

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    // connectTimeout short, so a refused or hanging connect never outlasts the test's bounds.
    prisma = createPrisma(server.url, { poolSize: 2, poolTimeoutMs: 5_000 });
  }, 120_000);
  afterAll(async () => {
    await prisma?.$disconnect();
    await server?.destroy();
  }, 120_000);

  it('gives transient errors while it is down and withDbRetry succeeds once it is back', async () => {
    expect(await prisma.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    const inFlight = outcome(prisma.$queryRaw`SELECT pg_sleep(30)::text`);
    await server.stop(); // fast shutdown terminates the running statement

    const cut = await inFlight;
    expect(cut.ok).toBe(false);
    expect(isTransientDbError((cut as { err: unknown }).err)).toBe(true);
    for (let i = 0; i < 3; i += 1) {
      const down = await outcome(prisma.$queryRaw`SELECT 1`);
      expect(down.ok).toBe(false);
      const err = (down as { err: unknown }).err;
      expect(isTransientDbError(err)).toBe(true);
      expect(transientReason(err)).toMatch(/^(server unreachable|connection refused|connection lost|server shutting down)$/);
    }

    // The retry loop must see the outage before the server comes back: start it on the first retry.
    const retries: unknown[] = [];
    let restarted: Promise<void> | undefined;
    const rows = await withDbRetry(() => prisma.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`, {
      deadlineMs: 90_000,
      maxMs: 500,
      onRetry: (err) => {
        retries.push(err);
        restarted ??= server.start();
      },
    });
    await restarted;
    expect(rows).toEqual([{ one: 1 }]);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries.every(isTransientDbError)).toBe(true);
  }, 120_000);
});
