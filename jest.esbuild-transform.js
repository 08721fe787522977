/**
 * Jest transform for TypeScript through esbuild (already installed for tsx). Chosen over ts-jest
 * (needs the TypeScript JS API, gone in TypeScript 7) and @swc/jest (its platform binaries are not
 * all on this project's registry, which breaks `npm ci`). Type checking is tsc's job, not jest's.
 */
const { createHash } = require('node:crypto');
const { transformSync, version } = require('esbuild');

const OPTIONS = {
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  keepNames: true,
  // Jest's module system has no import(); the Prisma client loads its query compiler with one.
  supported: { 'dynamic-import': false },
};
const OPTIONS_KEY = JSON.stringify({ version, OPTIONS, v: 2 });

module.exports = {
  process(source, filename) {
    const loader = filename.endsWith('.ts') ? 'ts' : 'js';
    const result = transformSync(source, { ...OPTIONS, loader, sourcefile: filename });
    return { code: result.code };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(OPTIONS_KEY).update('\0').update(filename).update('\0').update(source).digest('hex');
  },
};
