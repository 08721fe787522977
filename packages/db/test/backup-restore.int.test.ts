import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  apiClient,
  createTestDatabase,
  REPO_ROOT,
  startStack,
  waitForTerminalJobs,
  type TestDatabase,
  type TestStack,
} from '@gantry/testing';
import { defaultWorkflow } from '../../../apps/api/test/fixtures';

/**
 * scripts/backup.sh and scripts/restore.sh with this machine's real pg_dump/pg_restore: render
 * jobs, back up, restore into a fresh empty database and artifact directory, and find every row
 * and every blob again; the restore refuses non-empty targets and damaged backups.
 */

interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runScript(script: string, args: string[], env: Record<string, string>): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      [path.join(REPO_ROOT, 'scripts', script), ...args],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Every row of the tables Gantry owns (and the migration bookkeeping), as JSON, in a stable order. */
async function dumpRows(databaseUrl: string): Promise<Record<string, unknown[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables: Record<string, string> = {
      tenants: 'id',
      api_keys: 'id',
      jobs: 'id',
      job_events: 'job_id, seq',
      artifacts: 'id',
      backends: 'id',
      _prisma_migrations: 'migration_name',
    };
    const out: Record<string, unknown[]> = {};
    for (const [table, order] of Object.entries(tables)) {
      out[table] = (await client.query(`SELECT to_jsonb(t) AS row FROM "${table}" t ORDER BY ${order}`)).rows.map((r) => r.row);
    }
    return out;
  } finally {
    await client.end();
  }
}

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

describe('backup and restore (scripts/backup.sh, scripts/restore.sh)', () => {
  let stack: TestStack;
  let work: string;
  let target: TestDatabase;
  let backupDir: string;
  let source: Record<string, unknown[]>;
  const restoredArtifacts = () => path.join(work, 'restored-artifacts');
  const restoreEnv = (databaseUrl: string, artifactDir: string) => ({ DATABASE_URL: databaseUrl, GANTRY_ARTIFACT_DIR: artifactDir });

  beforeAll(async () => {
    stack = await startStack({ gpus: 1 });
    work = await mkdtemp(path.join(tmpdir(), 'gantry-backup-test-'));
    target = await createTestDatabase({ migrate: false });
    const admin = apiClient(stack.url, stack.adminKey);
    // Seeds 1, 2 and 1 again: the third job's output has the same bytes as the first's (one shared blob).
    const ids: string[] = [];
    for (const seed of [1, 2, 1]) {
      const res = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed, width: 64, height: 64 }) });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    const ledger = await waitForTerminalJobs(stack.databaseUrl, ids, 60_000);
    expect([...ledger.values()].map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  }, 120_000);

  afterAll(async () => {
    await target?.drop();
    await stack?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('backs up the database and the artifacts into one directory with a manifest', async () => {
    source = await dumpRows(stack.databaseUrl);
    expect(source.jobs).toHaveLength(3);
    expect(source.artifacts).toHaveLength(3);

    const res = await runScript('backup.sh', ['--out', path.join(work, 'backups')], restoreEnv(stack.databaseUrl, stack.artifactDir));
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('3 jobs, 3 artifacts') });
    backupDir = res.stdout.trim().split('\n').pop()!;
    expect(path.basename(backupDir)).toMatch(/^gantry-backup-\d{8}T\d{6}Z$/);
    expect((await readdir(backupDir)).sort()).toEqual(['SHA256SUMS', 'artifacts.tar', 'database.dump', 'manifest.json']);
    const manifest = JSON.parse(await readFile(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'gantry-backup/1',
      counts: { jobs: 3, artifacts: 3, blobs: 2 },
      files: { 'database.dump': { sha256: await sha256(path.join(backupDir, 'database.dump')) } },
    });
  });

  it('restores into an empty database and artifact directory: every row and blob is back', async () => {
    const res = await runScript('restore.sh', [backupDir], restoreEnv(target.url, restoredArtifacts()));
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('3 jobs and 3 artifacts') });

    expect(await dumpRows(target.url)).toEqual(source);
    for (const row of source.artifacts as { storage_key: string; sha256: string }[]) {
      const original = await sha256(path.join(stack.artifactDir, row.storage_key));
      expect({ key: row.storage_key, restored: await sha256(path.join(restoredArtifacts(), row.storage_key)) }).toEqual({ key: row.storage_key, restored: original });
      expect(original).toBe(row.sha256);
    }
  });

  it('refuses a non-empty database or artifact directory unless forced', async () => {
    const emptyDir = path.join(work, 'empty-artifacts');
    const refusedDb = await runScript('restore.sh', [backupDir], restoreEnv(target.url, emptyDir));
    expect({ code: refusedDb.code, stderr: refusedDb.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('is not empty') });

    const emptyDb = await createTestDatabase({ migrate: false });
    try {
      const refusedDir = await runScript('restore.sh', [backupDir], restoreEnv(emptyDb.url, restoredArtifacts()));
      expect({ code: refusedDir.code, stderr: refusedDir.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('artifact directory') });
      // Nothing was restored by the refused attempt.
      const client = new pg.Client({ connectionString: emptyDb.url });
      await client.connect();
      const tables = (await client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0].n;
      await client.end();
      expect(tables).toBe(0);
    } finally {
      await emptyDb.drop();
    }

    // --force replaces the tables (a row added since is gone) and adds the blobs.
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    await client.query(`INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'added-after-restore')`);
    await client.end();
    const forced = await runScript('restore.sh', ['--force', backupDir], restoreEnv(target.url, restoredArtifacts()));
    expect({ code: forced.code, stderr: forced.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('3 jobs and 3 artifacts') });
    expect(await dumpRows(target.url)).toEqual(source);
  });

  it('refuses a damaged backup and bad arguments', async () => {
    const damaged = path.join(work, 'damaged');
    await cp(backupDir, damaged, { recursive: true });
    const tar = await readFile(path.join(damaged, 'artifacts.tar'));
    tar[600] = tar[600]! ^ 0xff;
    await writeFile(path.join(damaged, 'artifacts.tar'), tar);
    const emptyDir = path.join(work, 'never-written');
    const res = await runScript('restore.sh', [damaged], restoreEnv(target.url, emptyDir));
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('checksum mismatch') });

    await mkdir(path.join(work, 'not-a-backup'));
    expect((await runScript('restore.sh', [path.join(work, 'not-a-backup')], restoreEnv(target.url, emptyDir))).stderr).toContain('is not a Gantry backup');
    expect((await runScript('restore.sh', [], restoreEnv(target.url, emptyDir))).code).toBe(2);
    expect((await runScript('backup.sh', ['--bogus'], restoreEnv(target.url, emptyDir))).code).toBe(2);
    const missingDir = await runScript('backup.sh', ['--out', path.join(work, 'b2')], restoreEnv(stack.databaseUrl, path.join(work, 'no-such-dir')));
    expect({ code: missingDir.code, stderr: missingDir.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('does not exist') });
    // The S3 store is not archived: both scripts stop and say so rather than leave a backup without blobs.
    const s3 = { ...restoreEnv(stack.databaseUrl, stack.artifactDir), GANTRY_STORAGE: 's3' };
    const s3Backup = await runScript('backup.sh', ['--out', path.join(work, 'b3')], s3);
    expect({ code: s3Backup.code, stderr: s3Backup.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('the artifacts are in the bucket') });
    expect(existsSync(path.join(work, 'b3'))).toBe(false);
    const s3Restore = await runScript('restore.sh', [backupDir], { ...s3, DATABASE_URL: target.url });
    expect({ code: s3Restore.code, stderr: s3Restore.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('local store only') });
  });
});
