import { timedCheck, type DependencyHealth } from '@gantry/domain';
import type { ArtifactStore } from './artifact-store.js';

/** Why the check failed, from the store's AppError message (`… failed (bucket not found)`); never an address. */
function reasonOf(err: unknown): string | undefined {
  return /\(([a-z0-9 ]+)\)$/.exec(err instanceof Error ? err.message : '')?.[1];
}

/**
 * The readiness check of a store that can be checked (S3: HeadBucket), bounded by `ms`;
 * undefined for a store with nothing to check (the local directory).
 */
export async function checkStore(store: ArtifactStore | undefined, ms: number): Promise<DependencyHealth | undefined> {
  if (!store?.check) return undefined;
  const check = store.check.bind(store);
  return timedCheck(async () => (await check(), true), ms, reasonOf);
}
