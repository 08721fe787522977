import type { PresignedLinks } from '@gantry/domain';
import { presignedLinks, type PresignableObject } from '@gantry/storage';
import type { ApiDeps } from '../context.js';

/**
 * GANTRY_STORAGE_PRESIGN as the API applies it: `redirect` and `urls` make the download routes
 * answer 302 to the bucket; only `urls` puts each output's presigned URL in the job views.
 */
export function redirectPresign(deps: ApiDeps): { ttlSec: number } | null {
  return deps.config.presign.mode === 'off' ? null : { ttlSec: deps.config.presign.ttlSec };
}

/** Whether job views carry presigned URLs (GANTRY_STORAGE_PRESIGN=urls): only then do their reads need the artifacts' storage keys. */
export function viewsPresign(deps: ApiDeps): boolean {
  return deps.config.presign.mode === 'urls';
}

/** An artifact as a view's read gives it: its storage key only when the views presign (viewsPresign). */
type ViewedArtifact = Omit<PresignableObject, 'storageKey'> & { storageKey: string | null };

/**
 * Presigned URLs of the artifacts a job view shows (GANTRY_STORAGE_PRESIGN=urls), else undefined.
 * A signing failure is logged and the view goes without them (the job's state still answers).
 */
export function viewLinks(deps: ApiDeps, artifacts: readonly ViewedArtifact[]): Promise<PresignedLinks | undefined> {
  const presign = viewsPresign(deps);
  if (presign && artifacts.some((a) => a.storageKey === null)) throw new Error('viewLinks: an artifact read without its storage key (read it when viewsPresign)');
  return presignedLinks(deps.store, artifacts as readonly PresignableObject[], presign ? { ttlSec: deps.config.presign.ttlSec } : null, {
    onError: (err) => deps.logger.warn({ err }, 'presigned URLs not signed; the job view goes without them'),
  });
}
