// `npm run lint` (also run by `npm test`): ESLint with typescript-eslint's type-aware rules and
// the import boundaries (tooling/lint/eslint.config.mjs), zero warnings allowed; then knip
// (tooling/lint/knip.json) for unused files, exports and dependencies.
//
// The linter lives in its own npm project, tooling/lint, with its own lockfile: typescript-eslint
// needs TypeScript's JavaScript API, which TypeScript 7 (the repository's compiler) does not have,
// so the linter brings TypeScript 5.9 for itself, where no workspace package can resolve it. Its
// packages are installed here, from its lockfile, when missing or older than that lockfile.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './run-ts.mjs';

const dir = path.join(ROOT, 'tooling/lint');
const installed = path.join(dir, 'node_modules/.package-lock.json');
const lock = path.join(dir, 'package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--prefix', dir], { cwd: ROOT, stdio: 'inherit' });
  if (install.status !== 0) {
    console.error('[lint] could not install tooling/lint (npm ci --prefix tooling/lint)');
    process.exit(install.status ?? 1);
  }
}
const bin = (name) => path.join(dir, 'node_modules/.bin', name);
const eslint = spawnSync(bin('eslint'), ['-c', path.join(dir, 'eslint.config.mjs'), '--max-warnings', '0', ...process.argv.slice(2), '.'], { cwd: ROOT, stdio: 'inherit' });
if (eslint.status !== 0) process.exit(eslint.status ?? 1);
// Unused code across the workspaces: files nothing imports, exports nothing outside their file
// uses, dependencies nothing imports and imports of packages a package.json does not list.
const knip = spawnSync(bin('knip'), ['-c', path.join(dir, 'knip.json'), '--no-progress', '--no-config-hints'], { cwd: ROOT, stdio: 'inherit' });
if (knip.status !== 0) console.error('[lint] knip found unused code or unlisted dependencies (tooling/lint/knip.json)');
process.exit(knip.status ?? 1);
