/**
 * How many jobs of all tenants succeeded since a moment: the wait estimate's fleet throughput.
 * Served by the partial index `jobs (finished_at) WHERE status = 'succeeded'`, it reads only the
 * window's index entries instead of every tenant's finished jobs.
 */
import { poolOf } from '../client.js';
import type { Db } from '../repositories/db-client.js';

export async function countSucceededSince(db: Db, since: Date): Promise<number> {
  const { rows } = await poolOf(db).query<{ n: number }>({
    name: 'gantry-read-succeeded-since',
    text: `SELECT count(*)::int AS n FROM jobs WHERE status = 'succeeded' AND finished_at >= $1`,
    values: [since],
  });
  return rows[0]?.n ?? 0;
}
