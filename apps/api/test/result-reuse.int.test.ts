import { createHash } from 'node:crypto';
import { apiClient, startStack, StreamClient, type TestStack, jobEnd } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Result reuse through the whole stack: `reuse: true` answers at once from an earlier identical
 * success of the same tenant (new job, same artifact bytes, no GPU run, `reusedFrom` in the view,
 * the events and the stream); anything that could render other pixels runs.
 */
describe('result reuse', () => {
  let stack: TestStack;
  let a: ReturnType<typeof apiClient>;
  let b: ReturnType<typeof apiClient>;
  let keyA: string;

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 2, worker: false });
    // One simulated GPU speaks both protocols: register it as a ComfyUI and as an A1111 backend.
    const url = stack.sims[0]!.url;
    await stack.startWorker({ GANTRY_BACKENDS: JSON.stringify([{ id: 'comfy0', kind: 'comfyui', url }, { id: 'forge0', kind: 'a1111', url }]) });
    const admin = apiClient(stack.url, stack.adminKey);
    keyA = (await admin('POST', '/api/v1/api-keys', { tenant: 'reuse-a', scopes: ['submit', 'read'] })).body.key;
    a = apiClient(stack.url, keyA);
    b = apiClient(stack.url, (await admin('POST', '/api/v1/api-keys', { tenant: 'reuse-b', scopes: ['submit', 'read'] })).body.key);
  }, 60_000);
  afterAll(() => stack.close());

  /** The fixture workflow, small, with a SaveImage prefix that marks its executions in the gpu-sim. */
  const workflow = (marker: string, seed = 1234) => {
    const wf = defaultWorkflow({ steps: 2, width: 32, height: 32, seed });
    Object.values(wf).find((n) => n.class_type === 'SaveImage')!.inputs.filename_prefix = marker;
    return wf;
  };
  const executions = (marker: string) => stack.sims[0]!.executions(marker).length;
  const finished = (client: typeof a, id: string) =>
    jobEnd(client, id);
  const hashes = async (client: typeof a, job: { artifacts: { url: string }[] }) =>
    Promise.all(job.artifacts.map(async (art) => sha256((await client('GET', art.url)).body as Buffer)));
  const reusedCount = async () => {
    const text = await stack.apiResources.deps.metrics.getSingleMetricAsString('gantry_jobs_reused_total');
    return Number(/gantry_jobs_reused_total\{[^}]*kind="workflow"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
  };

  let first: any;

  it('answers an identical request at once from the earlier success: same bytes, no GPU run, reusedFrom', async () => {
    first = await finished(a, (await a('POST', '/api/v1/jobs', { workflow: workflow('reuse-hit') })).body.id);
    expect(first).toMatchObject({ status: 'succeeded', reusedFrom: null });
    expect(executions('reuse-hit')).toBe(1);
    const firstHashes = await hashes(a, first);
    expect(firstHashes.length).toBeGreaterThan(0);

    // The same request, its keys in another order and other whitespace, node titles changed.
    const wf = workflow('reuse-hit');
    for (const node of Object.values(wf)) (node as any)._meta = { title: 'renamed' };
    const shuffled = Object.fromEntries(Object.entries(wf).reverse().map(([id, n]) => [id, { inputs: Object.fromEntries(Object.entries(n.inputs).reverse()), class_type: n.class_type, _meta: (n as any)._meta }]));
    const body = `{\n  "reuse": true,\n  "workflow": ${JSON.stringify(shuffled, null, 3)}\n}`;
    const before = await reusedCount();
    const res = await a('POST', '/api/v1/jobs', body, { 'content-type': 'application/json' });
    expect(res.status).toBe(202);
    const reused = res.body;
    expect(reused.id).not.toBe(first.id);
    expect(reused).toMatchObject({ status: 'succeeded', reusedFrom: first.id, attempts: 0, backend: null, progress: 1, startedAt: null, error: null });
    expect(reused.artifacts).toHaveLength(first.artifacts.length);
    expect(reused.artifacts.map((x: any) => x.filename)).toEqual(first.artifacts.map((x: any) => x.filename));
    expect(reused.artifacts.every((x: any) => x.url.startsWith(`/api/v1/jobs/${reused.id}/artifacts/`))).toBe(true);
    expect(await hashes(a, reused)).toEqual(firstHashes);
    expect(await reusedCount()).toBe(before + 1);
    expect((await a('GET', `/api/v1/jobs/${reused.id}`)).body).toMatchObject({ status: 'succeeded', reusedFrom: first.id });

    // Its history: queued, its outputs, succeeded naming the source.
    const events = (await a('GET', `/api/v1/jobs/${reused.id}/events`)).body.items.map((e: any) => e.event);
    expect(events.map((e: any) => e.type)).toEqual(['state', ...first.artifacts.map(() => 'output'), 'state']);
    expect(events.at(-1)).toMatchObject({ type: 'state', status: 'succeeded', attempt: 0, reusedFrom: first.id });

    // The stream shows it too (snapshot of the finished job and its events).
    const stream = await StreamClient.connect(stack.url, { key: keyA });
    try {
      await stream.next((m) => m.type === 'ready');
      stream.send({ type: 'subscribe', jobId: reused.id, since: 0 });
      const snapshot = await stream.next((m) => m.type === 'snapshot' && m.job.id === reused.id);
      expect(snapshot.job.reusedFrom).toBe(first.id);
      const done = await stream.next((m) => m.type === 'event' && m.jobId === reused.id && m.event.status === 'succeeded');
      expect(done.event.reusedFrom).toBe(first.id);
    } finally {
      stream.close();
    }

    // A reuse of the reused answer names the job that rendered it; nothing ran on the GPU.
    const again = (await a('POST', '/api/v1/jobs', { workflow: workflow('reuse-hit'), reuse: true })).body;
    expect(again).toMatchObject({ status: 'succeeded', reusedFrom: first.id });
    expect(await hashes(a, again)).toEqual(firstHashes);
    expect(executions('reuse-hit')).toBe(1);
  });

  it('runs what could render other pixels: another seed, another tenant, reuse left out or false', async () => {
    const before = await reusedCount();
    const seed = (await a('POST', '/api/v1/jobs', { workflow: workflow('reuse-hit', 99), reuse: true })).body;
    const other = (await b('POST', '/api/v1/jobs', { workflow: workflow('reuse-hit'), reuse: true })).body;
    const plain = (await a('POST', '/api/v1/jobs', { workflow: workflow('reuse-hit') })).body;
    const off = (await a('POST', '/api/v1/jobs', { workflow: workflow('reuse-hit'), reuse: false })).body;
    for (const job of [seed, other, plain, off]) expect(job).toMatchObject({ status: 'queued', reusedFrom: null });
    const ran = await Promise.all([finished(a, seed.id), finished(b, other.id), finished(a, plain.id), finished(a, off.id)]);
    for (const job of ran) expect(job).toMatchObject({ status: 'succeeded', reusedFrom: null, attempts: 1, backend: 'comfy0' });
    expect(executions('reuse-hit')).toBe(5);
    expect(await reusedCount()).toBe(before);
    // Another tenant's success never answers: b's own run made its pixels, and b sees none of a's jobs.
    expect((await b('GET', `/api/v1/jobs/${first.id}`)).status).toBe(404);
  });

  it('never reuses a random seed (txt2img seed -1 or left out), and reuses a fixed one', async () => {
    const random = { txt2img: { prompt: 'a fox in the snow', steps: 2, width: 64, height: 64, seed: -1 }, reuse: true };
    const one = await finished(a, (await a('POST', '/api/v1/jobs', random)).body.id);
    expect(one).toMatchObject({ status: 'succeeded', backend: 'forge0' });
    const two = (await a('POST', '/api/v1/jobs', random)).body;
    expect(two).toMatchObject({ status: 'queued', reusedFrom: null });
    expect(await finished(a, two.id)).toMatchObject({ status: 'succeeded', attempts: 1, reusedFrom: null });
    const unseeded = (await a('POST', '/api/v1/jobs', { txt2img: { prompt: 'a fox in the snow', steps: 2, width: 64, height: 64 }, reuse: true })).body;
    expect(unseeded).toMatchObject({ status: 'queued', reusedFrom: null });
    await finished(a, unseeded.id);

    const fixed = { txt2img: { prompt: 'a fox in the snow', steps: 2, width: 64, height: 64, seed: 77 }, reuse: true };
    const ran = await finished(a, (await a('POST', '/api/v1/jobs', fixed)).body.id);
    expect(ran).toMatchObject({ status: 'succeeded', reusedFrom: null });
    const reused = (await a('POST', '/api/v1/jobs', fixed)).body;
    expect(reused).toMatchObject({ kind: 'txt2img', status: 'succeeded', reusedFrom: ran.id });
    expect(await hashes(a, reused)).toEqual(await hashes(a, ran));
  });

  it('refuses a reuse flag that is not a boolean', async () => {
    const res = await a('POST', '/api/v1/jobs', { workflow: workflow('reuse-bad'), reuse: 'yes' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(res.body)).toMatch(/reuse/);
  });
});
