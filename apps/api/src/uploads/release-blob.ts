import type { ArtifactStore } from '@gantry/storage';

/**
 * A blob written again within this time is kept when its last row goes: equal bytes were just
 * stored for a row that is not written yet (the store's put refreshes the write time).
 */
const BLOB_GRACE_MS = 60_000;

/** Deletes a blob no row references any more, unless it was written lately; says whether it went. */
export async function releaseBlob(store: ArtifactStore, key: string, now = Date.now()): Promise<boolean> {
  const written = store.lastWrittenAt ? await store.lastWrittenAt(key) : null;
  if (written && now - written.getTime() < BLOB_GRACE_MS) return false;
  await store.delete(key);
  return true;
}
