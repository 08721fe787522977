import path from 'node:path';
import { build } from 'esbuild';

/**
 * The dashboard bundles `@gantry/sdk` for browsers: it must pull in no Node module, not `ws`, and
 * not zod: of the contract, only `@gantry/contract/zod-free` (the route table, statuses, limits).
 */
describe('browser bundle of @gantry/sdk', () => {
  it('contains only the SDK sources and the zod-free contract, with no node: imports, ws, zod or require', async () => {
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
    for (const input of inputs) expect(input).toMatch(/packages\/(sdk|contract)\/src\/[a-z-]+\.ts$/);
    expect(inputs.filter((i) => i.endsWith('packages/contract/src/routes.ts'))).toHaveLength(1);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/(^|[;}\n])\s*import\s*[{*\w]/); // no import statement left
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).toMatch(/as GantryClient\b/);
    expect(code).toContain('/api/v1/jobs/{id}/cancel'); // the route table
    expect(code).not.toMatch(/\bzod\b|ZodError|_zod/);
  });
});
