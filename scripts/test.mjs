// `npm test`: makes sure PostgreSQL and Redis run, generates the Prisma client, typechecks and
// lints the repository, then runs every jest suite (unit and integration). Each integration test file makes
// its own database and Redis key prefix, so nothing here touches development data.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureServices } from './services.mjs';
import { ROOT } from './run-ts.mjs';

const baseDb = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

try {
  await ensureServices({ databaseUrl: baseDb, redisUrl });
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/prisma-generate.mjs')], { stdio: 'inherit' });
} catch (err) {
  console.error(`[test] ${err.message}`);
  process.exit(1);
}

const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
const typecheck = spawnSync(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: ROOT, stdio: 'inherit' });
if (typecheck.status !== 0) {
  console.error('[test] typecheck failed');
  process.exit(typecheck.status ?? 1);
}
const lint = spawnSync(process.execPath, [path.join(ROOT, 'scripts/lint.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (lint.status !== 0) {
  console.error('[test] lint failed (npm run lint)');
  process.exit(lint.status ?? 1);
}
// CI measures coverage (thresholds in jest.config.js); local runs skip it to stay fast.
const jestArgs = ['--ci', ...(process.env.CI ? ['--maxWorkers=2', '--coverage'] : []), ...process.argv.slice(2)];
const jest = spawnSync(bin('jest'), jestArgs, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, TEST_DATABASE_URL: baseDb, TEST_REDIS_URL: redisUrl } });
process.exit(jest.status ?? 1);
