import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { createNodeClient, GantryClient, GantryError, saveOutputs, type JobEvent, type WatchMessage } from '@gantry/sdk/node';
import { png } from '../../../apps/api/test/images';
import { cuttableProxy, workflow } from './fixtures';

const PNG = [0x89, 0x50, 0x4e, 0x47];

/** The SDK against a real stack: API, worker and a simulated GPU in this process. */
describe('@gantry/sdk against a real stack', () => {
  let stack: TestStack;
  let gantry: GantryClient;
  let outDir: string;

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 10 });
    gantry = createNodeClient({ url: stack.url, apiKey: stack.adminKey });
    outDir = await mkdtemp(path.join(tmpdir(), 'gantry-sdk-'));
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
    await stack.close();
  });

  it('uploads an input image (bytes and a stream) and submits a job that binds it', async () => {
    const bytes = png(24, 12, [240, 20, 20]);
    const up = await gantry.upload(bytes);
    expect(up).toMatchObject({ contentType: 'image/png', width: 24, height: 12, bytes: bytes.length });
    const streamed = await gantry.upload(new Blob([bytes]).stream());
    expect(streamed.id).toBe(up.id); // same bytes, same upload
    expect(await gantry.uploads.get(up.id)).toEqual(up);
    const wf = JSON.parse(await readFile(path.join(__dirname, '../../../apps/gpu-sim/fixtures/img2img-workflow.json'), 'utf8'));
    const { job } = await gantry.submit({ workflow: wf, inputs: { photo: { upload: up.id } } });
    expect(job.inputs).toEqual([expect.objectContaining({ name: 'photo', uploadId: up.id, filename: `gantry/${up.sha256}.png` })]);
    const done = await gantry.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    const out = Buffer.from(await gantry.download(done.artifacts[0]!));
    expect([out.readUInt32BE(16), out.readUInt32BE(20)]).toEqual([24, 12]);
    await expect(gantry.upload(new TextEncoder().encode('not an image'))).rejects.toMatchObject({ code: 'IMAGE_TYPE_UNSUPPORTED', status: 415 });
  });

  it('submits idempotently, waits for the result and downloads the outputs', async () => {
    const key = `sdk-${Date.now()}`;
    const first = await gantry.submit({ workflow: workflow(3), metadata: { shot: 'a-1' } }, { idempotencyKey: key });
    expect(first.replayed).toBe(false);
    expect(first.job.status).toBe('queued');
    const again = await gantry.submit({ workflow: workflow(3), metadata: { shot: 'a-1' } }, { idempotencyKey: key });
    expect(again).toMatchObject({ replayed: true, job: { id: first.job.id } });

    const done = await gantry.waitFor(first.job.id, { timeoutMs: 60_000 });
    expect(done.status).toBe('succeeded');
    expect(done.artifacts).toHaveLength(1);
    const bytes = await gantry.download(done.artifacts[0]!);
    expect([...bytes.slice(0, 4)]).toEqual(PNG);
    expect(bytes.length).toBe(done.artifacts[0]!.bytes);

    const saved = await saveOutputs(gantry, done, outDir);
    const savedAgain = await saveOutputs(gantry, done, outDir);
    expect(path.basename(saved[0]!.path)).toBe(done.artifacts[0]!.filename);
    expect(savedAgain[0]!.path).not.toBe(saved[0]!.path); // never overwrites by default
    expect(Buffer.from(await readFile(saved[0]!.path)).equals(Buffer.from(bytes))).toBe(true);

    expect(await gantry.webhookDeliveries(done.id)).toEqual([]); // no webhook asked for

    const history = await gantry.events(done.id);
    expect(history.items.map((e) => e.seq)).toEqual(history.items.map((_, i) => i + 1));
    expect((await gantry.events(done.id, { since: history.lastSeq })).items).toEqual([]);
  });

  it('submits a batch in order, replays it by key, and names refused jobs by index', async () => {
    const key = `sdk-batch-${Date.now()}`;
    const jobs = [1, 2, 3].map((steps) => ({ workflow: workflow(steps), metadata: { steps } }));
    const first = await gantry.submitBatch(jobs, { idempotencyKey: key });
    expect(first.replayed).toBe(false);
    expect(first.jobs).toHaveLength(3);
    expect(first.jobs.every((j) => j.status === 'queued' && j.reusedFrom === null)).toBe(true);
    const again = await gantry.submitBatch({ jobs }, { idempotencyKey: key });
    // The replay names the same jobs in the same order; their status is today's (a worker may have
    // dispatched the first one already).
    expect(again.replayed).toBe(true);
    expect(again.jobs.map((j) => j.id)).toEqual(first.jobs.map((j) => j.id));
    for (const [i, j] of first.jobs.entries()) {
      const done = await gantry.waitFor(j.id, { timeoutMs: 60_000 });
      expect(done).toMatchObject({ status: 'succeeded', metadata: { steps: i + 1 } });
    }
    const refused = await gantry.submitBatch([{ workflow: workflow(1) }, { workflow: workflow(1), priority: 999 }]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GantryError);
    expect(refused).toMatchObject({ code: 'BATCH_INVALID', status: 422, errors: [expect.objectContaining({ index: 1, code: 'VALIDATION_FAILED' })] });
  });

  it('watches jobs with handlers and as an async iterator, ending on terminal states', async () => {
    const a = (await gantry.submit({ workflow: workflow(8) })).job;
    const b = (await gantry.submit({ workflow: workflow(4) })).job;
    const events: JobEvent[] = [];
    const terminal: string[] = [];
    const watch = gantry.watch([a.id, b.id], { onEvent: (e) => events.push(e), onTerminal: (j) => terminal.push(j.id) }, { since: 0 });
    const messages: WatchMessage[] = [];
    for await (const m of watch) messages.push(m);
    const jobs = await watch.done;
    expect(jobs.map((j) => j.status).sort()).toEqual(['succeeded', 'succeeded']);
    expect(terminal.sort()).toEqual([a.id, b.id].sort());
    for (const id of [a.id, b.id]) {
      const mine = events.filter((e) => e.jobId === id);
      expect(mine.map((e) => e.seq)).toEqual(mine.map((_, i) => i + 1));
      expect(mine.map((e) => e.event)).toEqual((await gantry.events(id)).items.map((e) => e.event));
      expect(watch.job(id)!.artifacts).toHaveLength(1);
      expect(watch.job(id)!.progress).toBe(1);
    }
    expect(messages.filter((m) => m.type === 'event')).toHaveLength(events.length);
    expect(messages.filter((m) => m.type === 'snapshot')).toHaveLength(2);
  });

  it('reconnects after a network drop and resumes from the last seq: no gap, no duplicate', async () => {
    const proxy = await cuttableProxy(stack.url);
    try {
      const viaProxy = createNodeClient({ url: proxy.url, apiKey: stack.adminKey });
      const job = (await gantry.submit({ workflow: workflow(150) })).job;
      const events: JobEvent[] = [];
      let cuts = 0;
      const reconnects: number[] = [];
      const watch = viaProxy.watch(
        job.id,
        {
          onEvent: (e) => {
            events.push(e);
            // Cut the connection twice mid-job, once progress flows.
            if (e.event.type === 'progress' && cuts < 2 && events.filter((x) => x.event.type === 'progress').length % 3 === 0) {
              cuts += 1;
              proxy.cut();
            }
          },
          onReconnecting: (info) => reconnects.push(info.code),
        },
        { since: 0, reconnect: { baseDelayMs: 50, maxDelayMs: 200 } },
      );
      const [final] = await watch.done;
      expect(final!.status).toBe('succeeded');
      expect(cuts).toBe(2);
      expect(reconnects.length).toBeGreaterThanOrEqual(2);
      const stored = (await gantry.events(job.id)).items;
      expect(events.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    } finally {
      await proxy.close();
    }
  });

  it("watch('all') follows every job of the key's tenant, and only those", async () => {
    const created = await gantry.apiKeys.create({ tenant: 'sdk-other', scopes: ['submit', 'read'] });
    const other = createNodeClient({ url: stack.url, apiKey: created.key });
    const finished = new Map<string, string>();
    const seen = new Set<string>();
    let subscribed!: () => void;
    const ready = new Promise<void>((resolve) => (subscribed = resolve));
    const watch = gantry.watch('all', {
      onSubscribed: () => subscribed(),
      onEvent: (e) => seen.add(e.jobId),
      onTerminal: (job) => finished.set(job.id, job.status),
    });
    await ready;
    const mine = [(await gantry.submit({ workflow: workflow(2) })).job.id, (await gantry.submit({ workflow: workflow(3) })).job.id];
    const theirs = (await other.submit({ workflow: workflow(2) })).job.id;
    await waitUntil(async () => (mine.every((id) => finished.get(id) === 'succeeded') ? true : undefined), 60_000);
    await other.waitFor(theirs, { timeoutMs: 60_000 });
    watch.close();
    expect(await watch.done).toEqual(expect.any(Array));
    expect(seen.has(theirs)).toBe(false);
    expect([...seen]).toEqual(expect.arrayContaining(mine));
  });

  it('iterates every job across pages', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await gantry.submit({ workflow: workflow(1) })).job.id);
    const seen: string[] = [];
    for await (const job of gantry.list({ limit: 2 })) seen.push(job.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));
    const pages = [];
    for await (const page of gantry.list({ limit: 2 }).pages()) pages.push(page.items.length);
    expect(pages.reduce((s, n) => s + n, 0)).toBe(seen.length);
    expect(pages.length).toBe(Math.ceil(seen.length / 2));
    await Promise.all(ids.map((id) => gantry.waitFor(id, { timeoutMs: 60_000 })));
  });

  it('cancels a job, and refuses to cancel a finished one with INVALID_STATE', async () => {
    await stack.sims[0]!.setFaults({ hang: 1 });
    try {
      const job = (await gantry.submit({ workflow: workflow(20) })).job;
      await waitUntil(async () => ((await gantry.get(job.id)).status === 'running' ? true : undefined), 30_000);
      await gantry.cancel(job.id);
      const done = await gantry.waitFor(job.id, { timeoutMs: 30_000 });
      expect(done.status).toBe('canceled');
      const err = await gantry.cancel(job.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GantryError);
      expect(err).toMatchObject({ status: 409, code: 'INVALID_STATE' });
    } finally {
      await stack.sims[0]!.setFaults({ hang: undefined });
    }
  });

  it('surfaces problems as GantryError with the problem+json fields', async () => {
    const missing = await gantry.get('0190a4c5-0000-7000-8000-000000000000').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(GantryError);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND', title: 'Not found' });
    expect((missing as GantryError).requestId).toMatch(/.+/);

    const invalid = (await gantry.submit({ workflow: {} }).catch((e: unknown) => e)) as GantryError;
    expect(invalid).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect(Array.isArray(invalid.errors)).toBe(true);

    const stranger = createNodeClient({ url: stack.url, apiKey: 'gty_AAAAAAAAAAAA_' + 'x'.repeat(43) });
    await expect(stranger.listPage()).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const job = (await gantry.submit({ workflow: workflow(1) })).job;
    await expect(stranger.watch(job.id).done).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(gantry.watch('not-a-job').done).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const offline = createNodeClient({ url: `http://127.0.0.1:${await freePort()}`, apiKey: 'k', retry: { retries: 1, baseDelayMs: 10 } });
    await expect(offline.get(job.id)).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR', detail: expect.stringMatching(/ECONNREFUSED/) });
    await gantry.waitFor(job.id, { timeoutMs: 60_000 });
  });

  it('waitFor polls where there is no WebSocket (Node 20 without ws)', async () => {
    const plain = new GantryClient({ url: stack.url, apiKey: stack.adminKey });
    const job = (await plain.submit({ workflow: workflow(3) })).job;
    // Node 22+ has a global WebSocket; Node 20 (what Gantry supports from) has none.
    if (!('WebSocket' in globalThis)) await expect(plain.watch(job.id).done).rejects.toMatchObject({ code: 'NO_WEBSOCKET' });
    const done = await plain.waitFor(job.id, { timeoutMs: 60_000, pollIntervalMs: 100 });
    expect(done).toMatchObject({ id: job.id, status: 'succeeded' });
    const viaPoll = await gantry.waitFor(job.id, { via: 'poll' });
    expect(viaPoll.status).toBe('succeeded');
  });

  it('honours timeouts and abort signals in waitFor', async () => {
    await stack.sims[0]!.setFaults({ hang: 1 });
    try {
      const job = (await gantry.submit({ workflow: workflow(20) })).job;
      await expect(gantry.waitFor(job.id, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
      const controller = new AbortController();
      const waiting = gantry.waitFor(job.id, { signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
      await expect(gantry.get(job.id, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
      await gantry.cancel(job.id);
      expect((await gantry.waitFor(job.id, { timeoutMs: 30_000 })).status).toBe('canceled');
    } finally {
      await stack.sims[0]!.setFaults({ hang: undefined });
    }
  });
});

/** Previews cost the simulator a PNG per step: a stack of their own, so other tests stay fast. */
describe('@gantry/sdk previews', () => {
  let stack: TestStack;
  let gantry: GantryClient;

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 10, simOptions: { previews: true }, workerEnv: { GANTRY_PREVIEW_INTERVAL_MS: '50' } });
    gantry = createNodeClient({ url: stack.url, apiKey: stack.adminKey });
  });
  afterAll(() => stack.close());

  it('turns previews on mid-watch without repeating or losing events', async () => {
    const job = (await gantry.submit({ workflow: workflow(80) })).job;
    const events: JobEvent[] = [];
    let previews = 0;
    let previewsBefore = -1;
    const watch = gantry.watch(
      job.id,
      {
        onEvent: (e) => {
          events.push(e);
          if (e.event.type === 'progress' && previewsBefore === -1 && events.filter((x) => x.event.type === 'progress').length === 3) {
            previewsBefore = previews;
            watch.setPreviews(true);
          }
        },
        onPreview: (p) => {
          expect(p.jobId).toBe(job.id);
          expect(p.mime).toMatch(/^image\//);
          previews += 1;
        },
      },
      { since: 0 },
    );
    await watch.done;
    expect(previewsBefore).toBe(0);
    expect(previews).toBeGreaterThan(0);
    const stored = (await gantry.events(job.id)).items;
    expect(events.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
  });
});
