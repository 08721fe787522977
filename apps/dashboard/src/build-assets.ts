import { bundleAssets, writeAssets } from './assets.js';
import { PREBUILT_DIR } from './paths.js';

/** `npm run build` (after tsc): writes the production bundle to dist/public. */
async function main(): Promise<void> {
  const set = await bundleAssets();
  await writeAssets(set, PREBUILT_DIR);
  for (const a of set.files.values()) {
    process.stdout.write(`dashboard: ${a.name} ${a.body.length} B (gzip ${a.gzip.length} B, br ${a.br.length} B)\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`dashboard bundle failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
