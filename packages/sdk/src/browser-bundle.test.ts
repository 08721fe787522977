import path from 'node:path';
import { bundleForBrowser } from '@gantry/testing';

/**
 * The dashboard bundles `@gantry/sdk` for browsers: it must pull in no Node module, not `ws`, and
 * not zod: of the contract, only `@gantry/contract/zod-free` (the route table, statuses, limits).
 */
describe('browser bundle of @gantry/sdk', () => {
  it('contains only the SDK sources and the zod-free contract, with no node: imports, ws, zod or require', async () => {
    const { inputs, code } = await bundleForBrowser(path.join(__dirname, 'index.ts'), { minify: true });
    expect(inputs.length).toBeGreaterThan(3);
    for (const input of inputs) expect(input).toMatch(/packages\/(sdk|contract)\/src\/[a-z-]+\.ts$/);
    expect(inputs.filter((i) => i.endsWith('packages/contract/src/routes.ts'))).toHaveLength(1);
    expect(code).toMatch(/as GantryClient\b/);
    expect(code).toContain('/api/v1/jobs/{id}/cancel'); // the route table
    expect(code).not.toMatch(/\bzod\b|ZodError|_zod/);
  });
});
