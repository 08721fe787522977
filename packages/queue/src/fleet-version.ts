import { randomUUID } from 'node:crypto';
import type { RedisClient } from './connection.js';

/** A random token, set anew after every change of the registered backends in PostgreSQL. */
export function fleetVersionKey(prefix: string): string {
  return `${prefix}:fleet:version`;
}

/**
 * Says that the `backends` table changed (a backend registered, deleted or drained, its learned
 * info written): call it after the commit. API instances compare the token at each submit and
 * read the backends again only when it moved (FleetIndex of @gantry/fleet). A random token, not
 * a counter, so a Redis that lost the key cannot make an old token current again.
 */
export async function announceFleetChange(redis: RedisClient, prefix: string): Promise<void> {
  await redis.set(fleetVersionKey(prefix), randomUUID());
}
