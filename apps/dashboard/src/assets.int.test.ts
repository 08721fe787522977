import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleAssets, readPrebuiltAssets, writeAssets } from './assets.js';

/** The real bundle: esbuild over client/ (what `npm run build` and a source start both do). */
test('bundles one minified script and one stylesheet, content-hashed, and round-trips through dist', async () => {
  const set = await bundleAssets();
  const names = [...set.files.keys()];
  expect(names).toHaveLength(2);
  const jsName = names.find((n) => /^app\.[0-9a-f]{12}\.js$/.test(n));
  const cssName = names.find((n) => /^app\.[0-9a-f]{12}\.css$/.test(n));
  expect([jsName, cssName]).toEqual([expect.any(String), expect.any(String)]);
  for (const name of names) expect(set.template).toContain(`%BASE%/assets/${name}`);
  const js = set.files.get(jsName!)!;
  // Small enough to load fast (see docs/dashboard.md for the figures); no zod or Node code in it.
  expect(js.br.length).toBeLessThan(40_000);
  const code = js.body.toString();
  expect({ require: /\brequire\(["']/.test(code), nodeBuiltin: /["']node:[a-z]/.test(code), zod: code.includes('ZodError') }).toEqual({
    require: false,
    nodeBuiltin: false,
    zod: false,
  });
  // No inline script or style in the page (the CSP forbids them).
  expect(set.template).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/);

  const dir = await mkdtemp(path.join(tmpdir(), 'gantry-dashboard-'));
  try {
    await writeAssets(set, dir);
    expect((await readdir(dir)).sort()).toEqual([...names, 'manifest.json'].sort());
    const back = await readPrebuiltAssets(dir);
    expect(back?.template).toBe(set.template);
    expect([...back!.files.values()].map((a) => a.etag)).toEqual([...set.files.values()].map((a) => a.etag));
    expect(await readPrebuiltAssets(path.join(dir, 'missing'))).toBeNull();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
