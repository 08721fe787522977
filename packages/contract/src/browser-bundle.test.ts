import path from 'node:path';
import { bundleForBrowser } from '@gantry/testing';

/** The contract is for browsers too (the SDK's types, the dashboard): zod and its own sources, no Node module. */
describe('browser bundle of @gantry/contract', () => {
  it('contains only the contract sources and zod, with no import or require left', async () => {
    const { inputs, code } = await bundleForBrowser(path.join(__dirname, 'index.ts'));
    for (const input of inputs) expect(input).toMatch(/(packages\/contract\/src\/[a-z0-9-]+\.ts|node_modules\/zod\/.+\.js)$/);
    expect(code).toMatch(/\boperations\b/);
  });
});
