/**
 * Prisma Migrate's PostgreSQL advisory lock. Taking the same session-level lock with the same key as
 * the schema engine (flavour/postgres.rs `acquire_lock`: `SELECT pg_advisory_lock(72707369)`) makes
 * this migrator and `prisma migrate deploy` exclude each other, whichever starts first.
 */
import type { ClientBase } from 'pg';

import { MigrationError } from './errors.js';

/** The key Prisma chose to identify Migrate's lock. */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

/**
 * Runs `fn` holding the lock on `client`'s session. Waits at most `timeoutMs` for it (Prisma waits
 * 10 s); `lock_timeout` bounds the wait server-side and is reset right after, so the migrations
 * themselves run without it, as under Prisma.
 */
export async function withMigrateLock<T>(client: ClientBase, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
  try {
    await client.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})`);
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') {
      throw new MigrationError(
        'LOCK_TIMEOUT',
        `Timed out after ${timeoutMs} ms waiting for Prisma Migrate's advisory lock (${PRISMA_MIGRATE_LOCK_KEY}); ` +
          'another migration is running, or a session still holds the lock.',
        { cause: err },
      );
    }
    throw err;
  } finally {
    await client.query('RESET lock_timeout');
  }
  try {
    return await fn();
  } finally {
    // Ending the session releases it as well; unlocking explicitly keeps a reused session clean.
    await client.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_KEY})`).catch(() => undefined);
  }
}
