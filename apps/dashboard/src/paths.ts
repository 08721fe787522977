import path from 'node:path';

/**
 * Where the dashboard's files live. This module sits in `src/` (run from source) or `dist/`
 * (compiled): either way the package root is one level up.
 */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');
/** The browser sources (TypeScript, CSS, the HTML template): bundled by esbuild, never by tsc. */
export const CLIENT_DIR = path.join(PACKAGE_ROOT, 'client');
/** Where `npm run build` writes the bundle (`manifest.json` plus the hashed files). */
export const PREBUILT_DIR = path.join(PACKAGE_ROOT, 'dist', 'public');
/** True when this code runs from TypeScript sources (tsx, jest): the bundle is then always made fresh. */
export const RUNNING_FROM_SOURCE = __filename.endsWith('.ts');
