/**
 * The pool limits really reach node-postgres: with 2 connections busy, a third query queues and
 * fails with a transient pool timeout, never opening a third connection; a server that accepts
 * TCP but never answers fails the connect attempt after the connect timeout.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { createTestDatabase, type TestDatabase } from '@gantry/testing';
import pg from 'pg';

import { createPrisma, poolOf, type CreatePrismaOptions } from './client.js';
import { transientReason } from './transient.js';

let db: TestDatabase;
let admin: pg.Client;
const LOCK = 424242;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

/** The test database's URL with these query parameters added. */
function withParams(params: Record<string, string>): string {
  const url = new URL(db.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** Polls until `check` holds, every 20 ms, at most `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < timeoutMs / 20 && Date.now() <= end; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Opens the pool's two connections before the test takes its lock. A pool timeout of 300 ms also
 * bounds opening a connection (pg-pool has one timeout for both), and a loaded machine can take
 * longer than that to start a PostgreSQL backend: a failed attempt is tried again (at most 50
 * times), so the blocked queries below find open connections and only the third one waits.
 */
async function warmPoolOfTwo(prisma: ReturnType<typeof createPrisma>, connections: () => Promise<number>): Promise<void> {
  for (let i = 0; i < 50 && (await connections()) < 2; i += 1) {
    await Promise.all([1, 2].map(() => prisma.$queryRaw`SELECT pg_sleep(0.05)::text`.catch(() => undefined)));
  }
  expect(await connections()).toBe(2);
}

/**
 * With the admin session holding an advisory lock, two queries block on it (each holding a pool
 * connection until the lock is released); the third must wait for a connection and time out.
 */
async function expectPoolOfTwo(url: string, options: CreatePrismaOptions): Promise<void> {
  const app = `gantry-pool-${randomBytes(4).toString('hex')}`;
  const prisma = createPrisma(url, { ...options, applicationName: app });
  const connections = async () =>
    Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [app])).rows[0]?.n);
  try {
    await warmPoolOfTwo(prisma, connections);
    await admin.query('SELECT pg_advisory_lock($1)', [LOCK]);
    const blocked = [1, 2].map(() => prisma.$queryRaw`SELECT pg_advisory_xact_lock(${LOCK})::text`.then(() => 'done'));
    await until('two connections waiting on the lock', async () => (await connections()) === 2);
    const third = await prisma.$queryRaw`SELECT 1`.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(transientReason(third)).toBe('pool timeout');
    expect(await connections()).toBe(2); // the limit held: no third connection was opened
    await admin.query('SELECT pg_advisory_unlock($1)', [LOCK]);
    expect(await Promise.all(blocked)).toEqual(['done', 'done']);
  } finally {
    await admin.query('SELECT pg_advisory_unlock_all()');
    await prisma.$disconnect();
  }
}

describe('pool limits', () => {
  it('honours connection_limit and pool_timeout from the URL', async () => {
    await expectPoolOfTwo(withParams({ connection_limit: '2', pool_timeout: '0.3' }), {});
  });

  it('lets explicit options win over the URL', async () => {
    await expectPoolOfTwo(withParams({ connection_limit: '50', pool_timeout: '600' }), { poolSize: 2, poolTimeoutMs: 300 });
  });

  it('bounds each connect attempt by the connect timeout, even with no pool timeout', async () => {
    // Accepts TCP connections and never answers: only the connect timeout can end the attempt.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const prisma = createPrisma(`postgresql://postgres@127.0.0.1:${port}/x?pool_timeout=0`, { connectTimeoutMs: 200 });
    try {
      const err = await prisma.$queryRaw`SELECT 1`.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(transientReason(err)).toBe('connection timed out');
      expect(sockets.size).toBe(1);
    } finally {
      await prisma.$disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('a connection terminated while a client is checked out', () => {
  it('never raises an unhandled error event: the process survives, the pool goes on', async () => {
    // A client is checked out between two statements (a query's result arrived, its release has
    // not run yet; or a transaction's client) when the server ends the connection, as a restart
    // or pg_terminate_backend does. With no query active, pg emits 'error' on the client; pg-pool
    // listens only to idle clients, so without a listener of its own this ends the process.
    const app = `gantry-checked-out-${randomBytes(4).toString('hex')}`;
    const prisma = createPrisma(db.url, { applicationName: app });
    const client = await poolOf(prisma).connect();
    try {
      const ended = new Promise((resolve) => client.once('end', resolve));
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
      await ended;
    } finally {
      client.release(true);
    }
    try {
      expect(await prisma.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    } finally {
      await prisma.$disconnect();
    }
  });
});
