import path from 'node:path';
import { build } from 'esbuild';

/** `@gantry/contract/zod-free` is what the SDK's browser bundle takes at run time: no zod, no other import. */
describe('@gantry/contract/zod-free', () => {
  it('bundles from the contract sources alone', async () => {
    const result = await build({
      entryPoints: [path.join(__dirname, 'zod-free.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      conditions: ['@gantry/source'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    for (const input of Object.keys(result.metafile.inputs)) expect(input).toMatch(/packages\/contract\/src\/[a-z0-9-]+\.ts$/);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bzod\b/);
    expect(code).not.toMatch(/(^|[;}\n])\s*import\s*[{*\w]/);
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).toMatch(/\bROUTES\b/);
  });
});
