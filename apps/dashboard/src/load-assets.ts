import { bundleAssets, readPrebuiltAssets, type AssetSet } from './assets.js';
import { PREBUILT_DIR, RUNNING_FROM_SOURCE } from './paths.js';

let shared: Promise<AssetSet> | null = null;

/**
 * The bundle this process serves, made once: the prebuilt one from `npm run build` when running
 * compiled code, otherwise (running from sources, or no prebuilt bundle) bundled now with esbuild.
 * A failed bundle is not cached, so a fixed source is picked up by the next request.
 */
export function loadAssets(): Promise<AssetSet> {
  if (!shared) {
    shared = (async () => (!RUNNING_FROM_SOURCE && (await readPrebuiltAssets(PREBUILT_DIR))) || bundleAssets())();
    shared.catch(() => {
      shared = null;
    });
  }
  return shared;
}
