import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiClient, freePort, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { png } from '../../api/test/images';
import { BIN, runGantry, startGantry } from './run-gantry';

/** util-linux `script` gives a command a real terminal (it is on every Debian/Ubuntu system). */
const SCRIPT = '/usr/bin/script';
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const WORKFLOW = path.resolve(__dirname, '../../gpu-sim/fixtures/default-workflow.json');

// Every test starts several node processes (the CLI compiles its sources through tsx): on a loaded
// machine that takes seconds each, so the tests get generous time.
jest.setTimeout(240_000);

/** The gantry CLI as a child process against a real stack (API, worker, simulated GPU in this process). */
describe('gantry CLI', () => {
  let stack: TestStack;
  let dir: string;
  let env: Record<string, string>;
  let admin: ReturnType<typeof apiClient>;
  const gantry = (args: string[], extraEnv: Record<string, string> = {}) => runGantry(args, { env: { ...env, ...extraEnv }, cwd: dir });

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 10 });
    dir = await mkdtemp(path.join(tmpdir(), 'gantry-cli-'));
    env = { GANTRY_URL: stack.url, GANTRY_API_KEY: stack.adminKey };
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await stack.close();
  });

  it('submit --watch --out: follows the job, writes the outputs, exits 0', async () => {
    const out = path.join(dir, 'renders');
    const r = await gantry(['submit', WORKFLOW, '--set', '3.steps=6', '--set', 'KSampler.seed=42', '--watch', '--out', 'renders']);
    expect(r.code).toBe(0);
    const files = await readdir(out);
    expect(files).toHaveLength(1);
    expect([...(await readFile(path.join(out, files[0]!))).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    // Not a terminal: plain lines, no cursor movement.
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stdout).toMatch(/^submitted [0-9a-f-]{36}/m);
    expect(r.stdout).toMatch(/default-workflow .*succeeded/);
    expect(r.stdout).toMatch(/saved renders\//);
    expect(r.stdout).toMatch(/^ok\s+default-workflow/m);
    const id = /submitted ([0-9a-f-]{36})/.exec(r.stdout)![1]!;
    const job = (await admin('GET', `/api/v1/jobs/${id}`)).body;
    expect(job.status).toBe('succeeded');
  });

  it('submit --input: uploads the file, binds it to the LoadImage node named after it', async () => {
    await writeFile(path.join(dir, 'photo.png'), png(36, 20, [20, 220, 20]));
    const img2img = path.resolve(__dirname, '../../gpu-sim/fixtures/img2img-workflow.json');
    const r = await gantry(['submit', img2img, '--input', 'photo=photo.png', '--watch', '--out', 'img2img-out']);
    expect(r.code).toBe(0);
    const files = await readdir(path.join(dir, 'img2img-out'));
    const out = await readFile(path.join(dir, 'img2img-out', files[0]!));
    expect([out.readUInt32BE(16), out.readUInt32BE(20)]).toEqual([36, 20]);
    const id = /submitted ([0-9a-f-]{36})/.exec(r.stdout)![1]!;
    expect((await admin('GET', `/api/v1/jobs/${id}`)).body.inputs[0]).toMatchObject({ name: 'photo', source: 'upload', width: 36, height: 20 });
    const missing = await gantry(['submit', img2img, '--input', 'photo=nope.png']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read nope.png/);
  });

  it('submit --reuse: an identical earlier success answers at once, its outputs downloaded', async () => {
    const args = ['submit', WORKFLOW, '--set', '3.steps=2', '--set', '3.seed=4242', '--set', '9.filename_prefix=cli-reuse'];
    const first = await gantry([...args, '--reuse', '--out', 'reuse-1']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^submitted [0-9a-f-]{36}/m);
    const firstId = /submitted ([0-9a-f-]{36})/.exec(first.stdout)![1]!;
    const again = await gantry([...args, '--reuse', '--out', 'reuse-2']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^reused [0-9a-f-]{36}  .*default-workflow.json  \\(result of ${firstId}, no GPU run\\)`, 'm'));
    const [a] = await readdir(path.join(dir, 'reuse-1'));
    const [b] = await readdir(path.join(dir, 'reuse-2'));
    expect(await readFile(path.join(dir, 'reuse-2', b!))).toEqual(await readFile(path.join(dir, 'reuse-1', a!)));
    expect(stack.sims[0]!.executions('cli-reuse')).toHaveLength(1);
  });

  it('submit --batch: one job per line through POST /jobs/batch, ids by line, bad lines by number', async () => {
    const wf = JSON.parse(await readFile(WORKFLOW, 'utf8'));
    const seeded = (seed: number) => ({ ...wf, '3': { ...wf['3'], inputs: { ...wf['3'].inputs, seed } } });
    const lines = [JSON.stringify({ workflow: seeded(11), metadata: { shot: 'a' } }), '', JSON.stringify(seeded(12)), JSON.stringify({ workflow: seeded(13), priority: 5 })];
    await writeFile(path.join(dir, 'sweep.jsonl'), `${lines.join('\n')}\n`);
    const r = await gantry(['submit', '--batch', 'sweep.jsonl', '--set', '3.steps=2', '--watch', '--idempotency-key', 'cli-sweep']);
    expect(r.code).toBe(0);
    const ids = [...r.stdout.matchAll(/^submitted ([0-9a-f-]{36})  sweep\.jsonl:(\d+)$/gm)].map((m) => [m[1]!, Number(m[2])] as const);
    expect(ids.map(([, line]) => line)).toEqual([1, 3, 4]);
    expect(r.stdout).toMatch(/^request 1\/1: 3 jobs accepted \(3\/3\)$/m);
    expect(r.stdout).toMatch(/^ok\s+sweep\.jsonl:4/m);
    const first = (await admin('GET', `/api/v1/jobs/${ids[0]![0]}`)).body;
    expect(first).toMatchObject({ status: 'succeeded', metadata: { shot: 'a' } });
    expect((await admin('GET', `/api/v1/jobs/${ids[2]![0]}`)).body).toMatchObject({ status: 'succeeded', priority: 5 });
    // The same command again: the request's key replays it, nothing is queued twice.
    const again = await gantry(['submit', '--batch', 'sweep.jsonl', '--set', '3.steps=2', '--idempotency-key', 'cli-sweep']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already submitted ${ids[0]![0]}  sweep.jsonl:1`);

    await writeFile(path.join(dir, 'bad.jsonl'), [JSON.stringify(seeded(1)), '{"workflow": ', '[]', JSON.stringify(seeded(2))].join('\n'));
    const bad = await gantry(['submit', '--batch', 'bad.jsonl']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^bad\.jsonl:2: not valid JSON/m);
    expect(bad.stderr).toMatch(/^bad\.jsonl:3: not a JSON object$/m);
    expect(bad.stderr).toMatch(/2 bad lines in bad\.jsonl; nothing was submitted/);
    expect(bad.stdout).not.toMatch(/submitted/);

    await writeFile(path.join(dir, 'refused.jsonl'), [JSON.stringify(seeded(3)), JSON.stringify(seeded(4)), JSON.stringify({ workflow: seeded(5), priority: 500 })].join('\n'));
    const refused = await gantry(['submit', '--batch', 'refused.jsonl']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^refused\.jsonl:3: VALIDATION_FAILED: /m);
    expect(refused.stderr).toMatch(/^  priority: /m);
    expect(refused.stderr).toMatch(/none of its 3 jobs was submitted/);
  });

  it('on a terminal: a progress line per job, redrawn in place', async () => {
    // util-linux's `script` gives the CLI a real terminal; without it this test fails, never skips.
    if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: install Debian's bsdutils (.ci/run does)`);
    const command = ['stty cols 120;', process.execPath, BIN, 'submit', WORKFLOW, WORKFLOW, '--set', '3.steps=150', '--set', '3.seed=7', '--watch']
      .map((a, i) => (i === 0 ? a : shellQuote(a)))
      .join(' ');
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(SCRIPT, ['-qfec', command, '/dev/null'], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', TERM: 'xterm', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\x1b\[2A\r\x1b\[J/); // two job lines, moved over and redrawn
    expect(r.out).toMatch(/default-workflow\s+\[[#-]{16}\]\s+\d+% running\s+step \d+\/150\s+KSampler #3\s+\d:\d\d/);
    expect(r.out).toMatch(/default-workflow#2\s+\[/);
    expect(r.out).toMatch(/^ok\s+default-workflow#2\s/m);
  });

  it('a failing job exits 1 with its error code and details; --json output parses', async () => {
    // A sampler the backend does not know: the workflow itself is invalid. (A missing model is
    // refused at submit, or retried on another backend: see the models test below.)
    const human = await gantry(['submit', WORKFLOW, '--set', '3.sampler_name=no-such-sampler', '--watch']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/FAILED\s+default-workflow .*failed .*WORKFLOW_INVALID/);
    expect(human.stdout).toMatch(/node 3 \(KSampler\)/);

    const r = await gantry(['submit', WORKFLOW, '--set', '3.sampler_name=no-such-sampler', '--watch', '--json']);
    expect(r.code).toBe(1);
    const jobs = JSON.parse(r.stdout);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'failed', error: { code: 'WORKFLOW_INVALID' } });
  });

  it('refuses bad command lines and --set of unknown nodes with exit 2', async () => {
    const unknownNode = await gantry(['submit', WORKFLOW, '--set', '99.steps=3']);
    expect(unknownNode.code).toBe(2);
    expect(unknownNode.stderr).toMatch(/no node "99"/);
    const badSet = await gantry(['submit', WORKFLOW, '--set', 'steps']);
    expect(badSet.code).toBe(2);
    expect((await gantry(['jobs', 'frobnicate'])).code).toBe(2);
    expect((await gantry(['submit'])).code).toBe(2);
    expect((await gantry(['jobs', 'ls', '--limit', 'lots'])).code).toBe(2);
    const missing = await gantry(['submit', 'nope.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read nope\.json/);
    // Nothing was submitted by any of them.
    expect((await admin('GET', '/api/v1/jobs?limit=200')).body.items.filter((j: any) => j.status === 'queued')).toEqual([]);
  });

  it('jobs ls / get / events / cancel, with --json', async () => {
    const submitted = await gantry(['submit', WORKFLOW, '--set', '3.steps=2', '--idempotency-key', 'cli-once', '--json']);
    expect(submitted.code).toBe(0);
    const [job] = JSON.parse(submitted.stdout);
    const again = await gantry(['submit', WORKFLOW, '--set', '3.steps=2', '--idempotency-key', 'cli-once']);
    expect(again.stdout).toMatch(new RegExp(`^already submitted ${job.id}`, 'm'));
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${job.id}`)).body.status === 'succeeded' ? true : undefined), 60_000);

    const ls = await gantry(['jobs', 'ls', '--json', '--limit', '50']);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout).map((j: any) => j.id)).toContain(job.id);
    const table = await gantry(['jobs', 'ls', '--status', 'succeeded']);
    expect(table.stdout).toMatch(/^ID\s+STATUS/);
    expect(table.stdout).toContain(job.id);

    const get = await gantry(['jobs', 'get', job.id, '--json']);
    expect(JSON.parse(get.stdout)).toMatchObject({ id: job.id, status: 'succeeded' });
    expect((await gantry(['jobs', 'get', job.id])).stdout).toMatch(/status:\s+succeeded/);

    const events = JSON.parse((await gantry(['jobs', 'events', job.id, '--json'])).stdout);
    expect(events.map((e: any) => e.seq)).toEqual(events.map((_: unknown, i: number) => i + 1));
    expect(events[events.length - 1].event).toMatchObject({ type: 'state', status: 'succeeded' });

    const followed = await gantry(['jobs', 'events', job.id, '--since', '1', '--follow', '--json']);
    expect(followed.code).toBe(0);
    const lines = followed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e: any) => e.seq)).toEqual(events.slice(1).map((e: any) => e.seq));

    const downloaded = await gantry(['jobs', 'download', job.id, '--out', 'dl', '--json']);
    expect(downloaded.code).toBe(0);
    const [saved] = JSON.parse(downloaded.stdout);
    expect(saved.path).toBe(path.join(dir, 'dl', job.artifacts?.[0]?.filename ?? saved.path.split('/').pop()));
    expect((await readFile(saved.path)).length).toBe(saved.bytes);

    const finished = await gantry(['jobs', 'cancel', job.id]);
    expect(finished.code).toBe(3);
    expect(finished.stderr).toMatch(/INVALID_STATE \(HTTP 409\)/);

    const notFound = await gantry(['jobs', 'get', '0190a4c5-0000-7000-8000-000000000000', '--json']);
    expect(notFound.code).toBe(3);
    expect(JSON.parse(notFound.stdout).error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('jobs retry: a new job with the same input, --watch --out writes its outputs; exits 1 when it fails again', async () => {
    const wf = JSON.parse(await readFile(WORKFLOW, 'utf8'));
    wf['3'].inputs.steps = 2;
    const original = (await admin('POST', '/api/v1/jobs', { workflow: wf, metadata: { shot: 'cli-retry' } })).body;
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${original.id}`)).body.status === 'succeeded' ? true : undefined), 60_000);

    const r = await gantry(['jobs', 'retry', original.id, '--out', 'retried']);
    expect(r.code).toBe(0);
    const newId = new RegExp(`^retried ${original.id} as ([0-9a-f-]{36})`, 'm').exec(r.stdout)?.[1];
    expect(newId).toBeDefined();
    expect(newId).not.toBe(original.id);
    const files = await readdir(path.join(dir, 'retried'));
    expect(files).toHaveLength(1);
    expect((await admin('GET', `/api/v1/jobs/${newId}`)).body).toMatchObject({ status: 'succeeded', retryOf: original.id, metadata: { shot: 'cli-retry' } });

    const again = await gantry(['jobs', 'retry', original.id, '--idempotency-key', 'cli-retry-1', '--json']);
    const replay = await gantry(['jobs', 'retry', original.id, '--idempotency-key', 'cli-retry-1']);
    expect(again.code).toBe(0);
    const job = JSON.parse(again.stdout);
    expect(job).toMatchObject({ retryOf: original.id });
    expect(replay.stdout).toMatch(new RegExp(`^already retried ${original.id} as ${job.id}`, 'm'));
    // Leave nothing running for the next tests.
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${job.id}`)).body.status === 'succeeded' ? true : undefined), 60_000);

    delete wf['3'].inputs.model;
    const broken = (await admin('POST', '/api/v1/jobs', { workflow: wf })).body;
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${broken.id}`)).body.status === 'failed' ? true : undefined), 60_000);
    const failed = await gantry(['jobs', 'retry', broken.id, '--watch', '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'failed', retryOf: broken.id, error: { code: 'WORKFLOW_INVALID' } });

    const missing = await gantry(['jobs', 'retry', '0190a4c5-0000-7000-8000-000000000000']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/NOT_FOUND \(HTTP 404\)/);
    expect((await gantry(['jobs', 'retry'])).code).toBe(2);
  });

  it('jobs watch follows a running job until it is canceled (exit 1)', async () => {
    await stack.sims[0]!.setFaults({ hang: 1 });
    try {
      const hanging = JSON.parse((await gantry(['submit', WORKFLOW, '--json'])).stdout)[0];
      const watching = gantry(['jobs', 'watch', hanging.id]);
      await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${hanging.id}`)).body.status === 'running' ? true : undefined), 30_000);
      const cancel = await gantry(['jobs', 'cancel', hanging.id, '--json']);
      expect(cancel.code).toBe(0);
      expect(JSON.parse(cancel.stdout).id).toBe(hanging.id);
      const watched = await watching;
      expect(watched.code).toBe(1);
      expect(watched.stdout).toMatch(/canceled/);
    } finally {
      await stack.sims[0]!.setFaults({ hang: undefined });
    }
  });

  it('Ctrl-C stops watching with exit 130; the job keeps running', async () => {
    await stack.sims[0]!.setFaults({ hang: 1 });
    try {
      const job = JSON.parse((await gantry(['submit', WORKFLOW, '--json'])).stdout)[0];
      const watching = startGantry(['jobs', 'watch', job.id], { env, cwd: dir });
      await waitUntil(async () => (/running/.test(watching.stdout()) ? true : undefined), 60_000);
      watching.child.kill('SIGINT');
      const r = await watching.done;
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(/Interrupted; the jobs keep running/);
      expect(['succeeded', 'failed', 'canceled']).not.toContain((await admin('GET', `/api/v1/jobs/${job.id}`)).body.status);
      await admin('POST', `/api/v1/jobs/${job.id}/cancel`);
      await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${job.id}`)).body.status === 'canceled' ? true : undefined), 30_000);
    } finally {
      await stack.sims[0]!.setFaults({ hang: undefined });
    }
  });

  it('backends ls and drain/undrain', async () => {
    const ls = await gantry(['backends', 'ls', '--json']);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout).map((b: any) => b.id)).toContain('sim0');
    expect((await gantry(['backends', 'ls'])).stdout).toMatch(/^ID\s+KIND\s+STATE/);
    const drained = await gantry(['backends', 'drain', 'sim0', '--json']);
    expect(JSON.parse(drained.stdout)).toMatchObject({ id: 'sim0', draining: true });
    const undrained = await gantry(['backends', 'undrain', 'sim0']);
    expect(undrained.code).toBe(0);
    expect((await admin('GET', '/api/v1/backends/sim0')).body.draining).toBe(false);
    const unknown = await gantry(['backends', 'drain', 'no-such-gpu']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/NOT_FOUND/);
  });

  it('models lists the fleet\'s model files with their backends, by kind', async () => {
    // The health probe learns sim0's inventory (checkpoints, LoRAs, ...) with its node types.
    await waitUntil(async () => ((await admin('GET', '/api/v1/backends/sim0')).body.probe.models ? true : undefined), 30_000);
    const all = await gantry(['models', '--json']);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toContainEqual({ kind: 'lora', name: 'add_detail.safetensors', backends: ['sim0'] });
    const table = await gantry(['models', '--kind', 'checkpoint']);
    expect(table.stdout).toMatch(/^KIND\s+NAME\s+BACKENDS/);
    expect(table.stdout).toMatch(/checkpoint\s+sd_xl_base_1\.0\.safetensors\s+sim0/);
    expect(table.stdout).not.toMatch(/lora/);
    const bad = await gantry(['models', '--kind', 'embedding']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--kind must be one of/);
    const missing = await gantry(['submit', WORKFLOW, '--set', '4.ckpt_name=no-such-model.safetensors']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/MODEL_UNAVAILABLE \(HTTP 422\).*checkpoint: no-such-model\.safetensors/);
  });

  it('keys create, scopes enforced, bad keys exit 3; config from a file', async () => {
    const created = await gantry(['keys', 'create', '--tenant', 'cli-test', '--scopes', 'read', '--name', 'ci', '--json']);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ tenant: 'cli-test', scopes: ['read'], name: 'ci' });
    const readOnly = { GANTRY_API_KEY: key.key };
    expect((await gantry(['jobs', 'ls'], readOnly)).code).toBe(0);
    const forbidden = await gantry(['submit', WORKFLOW], readOnly);
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toMatch(/FORBIDDEN/);
    expect((await gantry(['keys', 'create', '--tenant', 'cli-test', '--scopes', 'root'])).code).toBe(2);

    const bad = await gantry(['jobs', 'ls'], { GANTRY_API_KEY: 'gty_AAAAAAAAAAAA_' + 'x'.repeat(43) });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/UNAUTHENTICATED/);

    const configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify({ url: stack.url, apiKey: key.key }));
    const viaFile = await runGantry(['jobs', 'ls', '--json'], { env: { GANTRY_CONFIG: configFile }, cwd: dir });
    expect(viaFile.code).toBe(0);
    expect(Array.isArray(JSON.parse(viaFile.stdout))).toBe(true);
    // Flags win over the file.
    const flagged = await runGantry(['jobs', 'ls', '--url', `http://127.0.0.1:${await freePort()}`], { env: { GANTRY_CONFIG: configFile }, cwd: dir });
    expect(flagged.code).toBe(3);
    expect(flagged.stderr).toMatch(/NETWORK_ERROR: Cannot reach .*ECONNREFUSED/);
    expect((await runGantry(['jobs', 'ls'], { env: { GANTRY_CONFIG: path.join(dir, 'missing.json') } })).code).toBe(2);
  });

  it('keys ls / rotate / revoke: a revoked or rotated key stops working', async () => {
    // Keys are listed, revoked and rotated within the caller's tenant: work as that tenant's admin.
    const tenantAdmin = JSON.parse((await gantry(['keys', 'create', '--tenant', 'cli-revoke', '--scopes', 'tenant-admin', '--json'])).stdout);
    expect(tenantAdmin.scopes).toEqual(['tenant-admin']);
    const asAdmin = { GANTRY_API_KEY: tenantAdmin.key };
    const key = JSON.parse((await gantry(['keys', 'create', '--tenant', 'cli-revoke', '--scopes', 'read', '--name', 'reader', '--json'], asAdmin)).stdout);
    expect((await gantry(['jobs', 'ls'], { GANTRY_API_KEY: key.key })).code).toBe(0);
    // A tenant admin stays in its tenant and below operator.
    const elsewhere = await gantry(['keys', 'create', '--tenant', 'cli-other', '--scopes', 'read'], asAdmin);
    expect(elsewhere.code).toBe(3);
    expect(elsewhere.stderr).toMatch(/FORBIDDEN/);
    expect((await gantry(['keys', 'create', '--tenant', 'cli-revoke', '--scopes', 'operator'], asAdmin)).stderr).toMatch(/FORBIDDEN/);
    expect((await gantry(['keys', 'ls', '--tenant', 'default'], asAdmin)).stderr).toMatch(/FORBIDDEN/);
    // The operator key lists any tenant's keys.
    const asOperator = JSON.parse((await gantry(['keys', 'ls', '--tenant', 'cli-revoke', '--json'])).stdout);
    expect(asOperator.map((k: any) => k.id).sort()).toEqual([tenantAdmin.id, key.id].sort());

    const listed = JSON.parse((await gantry(['keys', 'ls', '--json'], asAdmin)).stdout);
    expect(listed.map((k: any) => k.id).sort()).toEqual([tenantAdmin.id, key.id].sort());
    expect(JSON.stringify(listed)).not.toContain(key.key);
    expect((await gantry(['keys', 'ls'], asAdmin)).stdout).toMatch(/^ID\s+NAME\s+SCOPES\s+STATUS/);

    const rotated = await gantry(['keys', 'rotate', key.id, '--json'], asAdmin);
    expect(rotated.code).toBe(0);
    const fresh = JSON.parse(rotated.stdout);
    expect(fresh.replaced).toMatchObject({ id: key.id, status: 'revoked' });
    await waitUntil(async () => ((await gantry(['jobs', 'ls'], { GANTRY_API_KEY: key.key })).code === 3 ? true : undefined), 30_000);
    expect((await gantry(['jobs', 'ls'], { GANTRY_API_KEY: fresh.key })).code).toBe(0);

    const revoked = await gantry(['keys', 'revoke', fresh.id], asAdmin);
    expect(revoked.code).toBe(0);
    const after = await waitUntil(async () => {
      const r = await gantry(['jobs', 'ls'], { GANTRY_API_KEY: fresh.key });
      return r.code === 0 ? undefined : r;
    }, 30_000);
    expect(after.code).toBe(3);
    expect(after.stderr).toMatch(/UNAUTHENTICATED/);
    const unknown = await gantry(['keys', 'revoke', '0190a4c5-0000-7000-8000-000000000000'], asAdmin);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/NOT_FOUND/);
  });

  it('has help and a version', async () => {
    const help = await gantry(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes: 0 ok, 1 .* 2 usage error, 3 /);
    expect((await gantry(['submit', '--help'])).stdout).toMatch(/--set <node.input=value>/);
    expect((await gantry(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
