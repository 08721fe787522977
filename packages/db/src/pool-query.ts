import { createHash } from 'node:crypto';
import { pgPoolOf } from './client.js';
import type { Prisma } from './generated/client.js';
import type { DbOrTx } from './repositories/audit-events.js';

/** Statement text → prepared statement name (bounded: a statement's shapes are few, see rawRows). */
const names = new Map<string, string>();
const MAX_NAMES = 512;

/**
 * Runs a raw statement built with `Prisma.sql` and returns its rows: straight through the
 * node-postgres pool under a client of createPrisma, as a named (prepared once per connection)
 * statement, and through Prisma's `$queryRaw` for a transaction client (which must stay on its
 * connection). For the worker's hot writes (a job's transitions and events), where Prisma's
 * per-query work showed in the profile (bench/README.md, "Dispatch"). Rows come as pg parses
 * them (the types these statements return read the same either way: text, int4, bool,
 * timestamptz as Date, jsonb as objects); errors as pg's own, which the classifiers read too.
 */
export async function rawRows<T>(db: DbOrTx, query: Prisma.Sql): Promise<T[]> {
  const pool = pgPoolOf(db);
  if (!pool) return db.$queryRaw<T[]>(query);
  const text = query.text;
  const { rows } = await pool.query<T & Record<string, unknown>>({ name: statementName(text), text, values: query.values as unknown[] });
  return rows;
}

function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `gantry-raw-${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (names.size < MAX_NAMES) names.set(text, name);
  }
  return name;
}
