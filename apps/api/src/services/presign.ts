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

/**
 * Presigned URLs of the artifacts a job view shows (GANTRY_STORAGE_PRESIGN=urls), else undefined.
 * A signing failure is logged and the view goes without them (the job's state still answers).
 */
export function viewLinks(deps: ApiDeps, artifacts: readonly PresignableObject[]): Promise<PresignedLinks | undefined> {
  return presignedLinks(deps.store, artifacts, deps.config.presign.mode === 'urls' ? { ttlSec: deps.config.presign.ttlSec } : null, {
    onError: (err) => deps.logger.warn({ err }, 'presigned URLs not signed; the job view goes without them'),
  });
}
