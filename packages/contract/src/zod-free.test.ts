import path from 'node:path';
import { bundleForBrowser } from '@gantry/testing';

/** `@gantry/contract/zod-free` is what the SDK's browser bundle takes at run time: no zod, no other import. */
describe('@gantry/contract/zod-free', () => {
  it('bundles from the contract sources alone', async () => {
    const { inputs, code } = await bundleForBrowser(path.join(__dirname, 'zod-free.ts'));
    for (const input of inputs) expect(input).toMatch(/packages\/contract\/src\/[a-z0-9-]+\.ts$/);
    expect(code).not.toMatch(/\bzod\b/);
    expect(code).toMatch(/\bROUTES\b/);
  });
});
