import type { PresignedLinks } from '@gantry/domain';
import type { ArtifactStore } from './artifact-store.js';

/** A stored object a view shows (an artifact row fits). */
export interface PresignableObject {
  id: string;
  storageKey: string;
  filename: string;
  contentType: string;
}

export interface PresignedLinksOptions {
  /** When the URLs are signed (default now). */
  now?: Date;
  /**
   * Told why signing failed (credentials that cannot be resolved now); the view then carries no
   * presigned URLs rather than failing: the job's state matters more, and `url` still works.
   */
  onError?: (err: unknown) => void;
}

/**
 * Presigned download URLs of `objects` by id, all signed at one instant so each expires exactly
 * `ttlSec` after it. `settings` null (presigned URLs are not enabled), a store that cannot sign, or
 * a signing failure: undefined, and the view carries none. Signing is local (an HMAC), no request
 * to the store.
 */
export async function presignedLinks(
  store: ArtifactStore,
  objects: readonly PresignableObject[],
  settings: { ttlSec: number } | null,
  options: PresignedLinksOptions = {},
): Promise<PresignedLinks | undefined> {
  if (!settings || !store.presign || objects.length === 0) return undefined;
  const now = options.now ?? new Date();
  const signedAt = new Date(Math.floor(now.getTime() / 1000) * 1000); // SigV4 dates are whole seconds
  const expiresAt = new Date(signedAt.getTime() + settings.ttlSec * 1000);
  try {
    const entries = await Promise.all(
      objects.map(async (o) => {
        const url = await store.presign!(o.storageKey, { expiresInSec: settings.ttlSec, filename: o.filename, contentType: o.contentType, signedAt });
        return [o.id, { url, expiresAt }] as const;
      }),
    );
    return new Map(entries);
  } catch (err) {
    options.onError?.(err);
    return undefined;
  }
}
