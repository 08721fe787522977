import path from 'node:path';
import { build } from 'esbuild';

/** The dashboard bundles `@gantry/sdk` for browsers: it must pull in no Node module and not `ws`. */
describe('browser bundle of @gantry/sdk', () => {
  it('contains only the SDK sources, with no node: imports, ws or require', async () => {
    const result = await build({
      entryPoints: [path.join(__dirname, 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      conditions: ['@gantry/source'],
      write: false,
      metafile: true,
      minify: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(3);
    for (const input of inputs) expect(input).toMatch(/packages\/sdk\/src\/[a-z-]+\.ts$/);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/(^|[;}\n])\s*import\s*[{*\w]/); // no import statement left
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).toMatch(/as GantryClient\b/);
  });
});
