/**
 * The chaos run's PostgreSQL: a throwaway server from @gantry/testing (initdb, pg_ctl on
 * 127.0.0.1 and a free port, trust authentication; restartable, the restart fault) plus what the
 * runner does with it: a database per scenario cloned from the migrated template, and killing
 * Gantry's connections. Stopped and removed at cleanup.
 */
import pg from 'pg';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@gantry/testing';
import { onCleanup } from './cleanup.js';

export interface ChaosPostgres {
  /** The server itself: `stop('immediate')` (a crash) and `start()` are the restart fault. */
  server: ThrowawayPostgres;
  url(database: string): string;
  /** A new database, as a copy of `template` when given (cheaper than migrating again). */
  createDatabase(name: string, template?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** `pg_terminate_backend` for every connection to `database` (Gantry's); returns how many. */
  terminateConnections(database: string): Promise<number>;
}

export async function startChaosPostgres(): Promise<ChaosPostgres> {
  // Three workers, an API and the runner's own reads: more than a test's 30 connections.
  const server = await startThrowawayPostgres({ maxConnections: 300 });
  onCleanup(`postgresql :${server.port}`, () => server.destroy());
  const url = (database: string) => server.url.replace(/\/postgres$/, `/${database}`);
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined); // a restart while connected: the query rejects instead
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  return {
    server,
    url,
    createDatabase: async (name, template) => {
      await admin((c) => c.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`));
      return url(name);
    },
    dropDatabase: async (name) => {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
    terminateConnections: async (database) => {
      const { rows } = await admin((c) =>
        c.query<{ n: number }>('SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]),
      );
      return rows[0]?.n ?? 0;
    },
  };
}
