import type { PresignedLinks } from '@gantry/domain';
import type { ArtifactStore } from './artifact-store.js';

/** A stored object a view shows (an artifact row fits). */
export interface PresignableObject {
  id: string;
  storageKey: string;
  filename: string;
  contentType: string;
}

/**
 * Presigned download URLs of `objects` by id, all signed at one instant so each expires exactly
 * `ttlSec` after `now`. `settings` null (presigned URLs are not enabled) or a store that cannot
 * sign: undefined, and the views carry none. Signing is local (an HMAC), no request to the store.
 */
export async function presignedLinks(
  store: ArtifactStore,
  objects: readonly PresignableObject[],
  settings: { ttlSec: number } | null,
  now: Date = new Date(),
): Promise<PresignedLinks | undefined> {
  if (!settings || !store.presign || objects.length === 0) return undefined;
  const signedAt = new Date(Math.floor(now.getTime() / 1000) * 1000); // SigV4 dates are whole seconds
  const expiresAt = new Date(signedAt.getTime() + settings.ttlSec * 1000);
  const entries = await Promise.all(
    objects.map(async (o) => {
      const url = await store.presign!(o.storageKey, { expiresInSec: settings.ttlSec, filename: o.filename, contentType: o.contentType, signedAt });
      return [o.id, { url, expiresAt }] as const;
    }),
  );
  return new Map(entries);
}
