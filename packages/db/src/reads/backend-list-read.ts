/**
 * Every registered backend, by id: the fleet's rows that eligibility judges (submit, the wait
 * estimate of every queued job's view, health, metrics, the workers' fleet). On the queued job
 * view's path, so one statement through the pool under Prisma (bench/README.md, "Reads"); the
 * table holds one row per GPU backend.
 */
import { poolOf } from '../client.js';
import type { BackendRow } from '../repositories/backends.js';
import type { Db } from '../repositories/db-client.js';

export async function listBackends(db: Db): Promise<BackendRow[]> {
  const { rows } = await poolOf(db).query<BackendRow>({
    name: 'gantry-read-backends',
    text: `SELECT id, kind, url, capacity, tags, draining, info, created_at AS "createdAt", updated_at AS "updatedAt" FROM backends ORDER BY id`,
  });
  return rows;
}
