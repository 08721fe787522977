import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CLIENT_DIR, PACKAGE_ROOT } from './paths.js';

/**
 * The browser code has its own TypeScript program (DOM lib, bundler resolution), outside the
 * repository's Node program; this keeps it checked by `npm test` too.
 */
test('the browser code typechecks', () => {
  const tsc = path.resolve(PACKAGE_ROOT, '../../node_modules/.bin/tsc');
  const result = spawnSync(tsc, ['-p', path.join(CLIENT_DIR, 'tsconfig.json'), '--noEmit'], { encoding: 'utf8', timeout: 120_000 });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
}, 120_000);
