import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A job's whole life through the real API, worker, PostgreSQL, Redis and a simulated GPU. */
describe('job lifecycle', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 5 });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  const waitForStatus = (call: ReturnType<typeof apiClient>, id: string, statuses: string[], ms = 20_000) =>
    waitUntil(async () => {
      const res = await call('GET', `/api/v1/jobs/${id}`);
      return statuses.includes(res.body.status) ? res.body : undefined;
    }, ms);

  it('submits, runs on the GPU backend and serves a PNG artifact', async () => {
    const submit = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 8, width: 64, height: 48 }), metadata: { shot: 'a' } });
    expect(submit.status).toBe(202);
    expect(submit.body).toMatchObject({ status: 'queued', attempts: 0, progress: 0, metadata: { shot: 'a' } });
    expect(submit.headers.get('location')).toBe(`/api/v1/jobs/${submit.body.id}`);

    const job = await waitForStatus(admin, submit.body.id, ['succeeded', 'failed']);
    expect(job).toMatchObject({ status: 'succeeded', progress: 1, attempts: 1, backend: 'sim0', error: null });
    expect(job.startedAt).not.toBeNull();
    expect(new Date(job.finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(job.startedAt).getTime());
    expect(job.artifacts).toHaveLength(1);
    const artifact = job.artifacts[0];
    expect(artifact).toMatchObject({ contentType: 'image/png', url: `/api/v1/jobs/${job.id}/artifacts/${artifact.id}` });

    const file = await admin('GET', artifact.url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    const png = file.body as Buffer;
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(png.readUInt32BE(16)).toBe(64);
    expect(png.readUInt32BE(20)).toBe(48);
    expect(png.length).toBe(artifact.bytes);

    const events = await admin('GET', `/api/v1/jobs/${job.id}/events`);
    const types = events.body.items.map((e: any) => (e.event.type === 'state' ? e.event.status : e.event.type));
    expect(types[0]).toBe('queued');
    expect(types).toEqual(expect.arrayContaining(['dispatched', 'running', 'progress', 'output', 'succeeded']));
    expect(types[types.length - 1]).toBe('succeeded');
    const seqs = events.body.items.map((e: any) => e.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    const overall = events.body.items.filter((e: any) => e.event.type === 'progress').map((e: any) => e.event.overall);
    expect([...overall].sort((a, b) => a - b)).toEqual(overall);
    const later = await admin('GET', `/api/v1/jobs/${job.id}/events?since=${seqs[seqs.length - 2]}`);
    expect(later.body.items.map((e: any) => e.seq)).toEqual([seqs[seqs.length - 1]]);
  });

  it('fails at once, without retry, when the backend rejects the workflow', async () => {
    const workflow = defaultWorkflow();
    const sampler = Object.values(workflow).find((n) => n.class_type === 'KSampler')!;
    delete sampler.inputs.model;
    const submit = await admin('POST', '/api/v1/jobs', { workflow });
    const job = await waitForStatus(admin, submit.body.id, ['succeeded', 'failed']);
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error.code).toBe('WORKFLOW_INVALID');
    expect(JSON.stringify(job.error.details)).toContain('required_input_missing');
  });

  it('returns the first job for a repeated Idempotency-Key and refuses it for another body', async () => {
    const body = { workflow: defaultWorkflow({ steps: 2 }) };
    const first = await admin('POST', '/api/v1/jobs', body, { 'idempotency-key': 'render-42' });
    const again = await admin('POST', '/api/v1/jobs', body, { 'idempotency-key': 'render-42' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 3 }) }, { 'idempotency-key': 'render-42' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => admin('POST', '/api/v1/jobs', body, { 'idempotency-key': 'render-43' })),
    );
    expect(new Set(concurrent.map((r) => r.body.id)).size).toBe(1);
  });

  it('cancels a running job on its backend', async () => {
    const submit = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2000 }) });
    await waitForStatus(admin, submit.body.id, ['running']);
    const cancel = await admin('POST', `/api/v1/jobs/${submit.body.id}/cancel`);
    expect([200, 202]).toContain(cancel.status);
    const job = await waitForStatus(admin, submit.body.id, ['canceled', 'succeeded', 'failed'], 10_000);
    expect(job.status).toBe('canceled');
    expect(job.error.code).toBe('CANCELED');
    const again = await admin('POST', `/api/v1/jobs/${submit.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INVALID_STATE');
    // The GPU is free again: a following job runs.
    const next = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) });
    expect((await waitForStatus(admin, next.body.id, ['succeeded', 'failed'])).status).toBe('succeeded');
  });

  it('lists jobs newest first with keyset pagination and a status filter', async () => {
    const tenantKey = (await admin('POST', '/api/v1/api-keys', { tenant: 'pager', scopes: ['submit', 'read'] })).body.key;
    const client = apiClient(stack.url, tenantKey);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await client('GET', `/api/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((j: any) => j.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    await Promise.all(ids.map((id) => waitForStatus(client, id, ['succeeded'])));
    const done = await client('GET', '/api/v1/jobs?status=succeeded&limit=50');
    expect(done.body.items.map((j: any) => j.id).sort()).toEqual([...ids].sort());
    expect((await client('GET', '/api/v1/jobs?status=queued')).body.items).toEqual([]);
  });
});
