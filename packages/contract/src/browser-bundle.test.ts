import path from 'node:path';
import { build } from 'esbuild';

/** The contract is for browsers too (the SDK's types, the dashboard): zod and its own sources, no Node module. */
describe('browser bundle of @gantry/contract', () => {
  it('contains only the contract sources and zod, with no import or require left', async () => {
    const result = await build({
      entryPoints: [path.join(__dirname, 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      conditions: ['@gantry/source'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    for (const input of Object.keys(result.metafile.inputs)) expect(input).toMatch(/(packages\/contract\/src\/[a-z0-9-]+\.ts|node_modules\/zod\/.+\.js)$/);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/(^|[;}\n])\s*import\s*[{*\w]/);
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).toMatch(/\boperations\b/);
  });
});
