import { startGpuSim } from '@gantry/gpu-sim';
import { recordBackendInfo } from '@gantry/db';
import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import type { RunningWorker } from '../src/index';
import { defaultWorkflow } from '../../api/test/fixtures';

type Json = Record<string, any>;

/** The default workflow loading `ckpt`, optionally through a LoRA. */
function workflowFor(ckpt: string, options: { lora?: string; steps?: number } = {}): Json {
  const wf: Json = defaultWorkflow({ steps: options.steps ?? 2, width: 64, height: 64 });
  wf['4'].inputs.ckpt_name = ckpt;
  if (options.lora) {
    wf['10'] = { class_type: 'LoraLoader', inputs: { model: ['4', 0], clip: ['4', 1], lora_name: options.lora, strength_model: 1, strength_clip: 1 } };
    wf['3'].inputs.model = ['10', 0];
    wf['6'].inputs.clip = ['10', 1];
    wf['7'].inputs.clip = ['10', 1];
  }
  return wf;
}

/**
 * Routing by model, end to end on real PostgreSQL, Redis and gpu-sims: gpu-a holds a.safetensors,
 * shared.safetensors and a LoRA; gpu-b holds b.safetensors and shared.safetensors; forge-a is
 * gpu-a's sim spoken to as AUTOMATIC1111.
 */
describe('routing by model', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let worker: RunningWorker;

  beforeAll(async () => {
    stack = await startStack({ gpus: 0, worker: false });
    const simA = await startGpuSim({ stepMs: 5, name: 'sim-a', modelFiles: { checkpoint: ['a.safetensors', 'shared.safetensors'], lora: ['detail.safetensors'] } });
    const simB = await startGpuSim({ stepMs: 5, name: 'sim-b', modelFiles: { checkpoint: ['b.safetensors', 'shared.safetensors'], lora: [] } });
    stack.sims.push(simA, simB); // closed with the stack
    worker = await stack.startWorker({
      GANTRY_BACKENDS: JSON.stringify([
        { id: 'gpu-a', kind: 'comfyui', url: simA.url },
        { id: 'gpu-b', kind: 'comfyui', url: simB.url },
        { id: 'forge-a', kind: 'a1111', url: simA.url },
      ]),
      GANTRY_HEALTH_INTERVAL_MS: '250',
      GANTRY_HEALTH_TIMEOUT_MS: '10000', // a busy test machine must not open breakers
      GANTRY_REGISTRY_REFRESH_MS: '100',
    });
    admin = apiClient(stack.url, stack.adminKey);
    // The probes learn each backend's inventory with its node types.
    for (const id of ['gpu-a', 'gpu-b', 'forge-a']) {
      await waitUntil(async () => ((await admin('GET', `/api/v1/backends/${id}`)).body.probe.models?.checkpoint ? true : undefined));
    }
  });
  afterAll(() => stack.close());

  const job = async (id: string): Promise<Json> => (await admin('GET', `/api/v1/jobs/${id}`)).body;
  const finished = (id: string) =>
    waitUntil(async () => {
      const body = await job(id);
      return ['succeeded', 'failed', 'canceled'].includes(body.status) ? body : undefined;
    });
  const submit = async (body: Json) => {
    const res = await admin('POST', '/api/v1/jobs', body);
    expect(res.status).toBe(202);
    return res.body.id as string;
  };

  it('lists every model of the fleet with the backends holding it, to read keys, without URLs', async () => {
    const all = await admin('GET', '/api/v1/models');
    expect(all.status).toBe(200);
    expect(all.body.items).toEqual(
      expect.arrayContaining([
        { kind: 'checkpoint', name: 'a.safetensors', backends: ['forge-a', 'gpu-a'] },
        { kind: 'checkpoint', name: 'b.safetensors', backends: ['gpu-b'] },
        { kind: 'checkpoint', name: 'shared.safetensors', backends: ['forge-a', 'gpu-a', 'gpu-b'] },
      ]),
    );
    const loras = await admin('GET', '/api/v1/models?kind=lora');
    // ComfyUI lists files; A1111 names LoRAs without the extension.
    expect(loras.body.items).toEqual([
      { kind: 'lora', name: 'detail', backends: ['forge-a'] },
      { kind: 'lora', name: 'detail.safetensors', backends: ['gpu-a'] },
    ]);
    expect((await admin('GET', '/api/v1/models?kind=embedding')).body.code).toBe('VALIDATION_FAILED');

    const keys = async (scopes: string[]) => (await admin('POST', '/api/v1/api-keys', { tenant: 'studio', scopes })).body.key as string;
    const reader = apiClient(stack.url, await keys(['read']));
    const submitter = apiClient(stack.url, await keys(['submit']));
    const seen = await reader('GET', '/api/v1/models');
    expect(seen.status).toBe(200);
    expect(seen.body).toEqual(all.body);
    expect(JSON.stringify(seen.body)).not.toMatch(/127\.0\.0\.1|http:/);
    expect((await submitter('GET', '/api/v1/models')).status).toBe(403);
    const backend = await reader('GET', '/api/v1/backends/gpu-b');
    expect(backend.body.probe.models).toMatchObject({ checkpoint: ['b.safetensors', 'shared.safetensors'], lora: [] });
    expect(backend.body.url).toBeUndefined();
    expect((await admin('GET', '/api/v1/backends')).body.items[0].probe.models).toBeUndefined(); // detail only
  });

  it('sends each job to a backend that holds its models', async () => {
    const ids = [await submit({ workflow: workflowFor('b.safetensors') }), await submit({ workflow: workflowFor('a.safetensors', { lora: 'detail.safetensors' }) })];
    ids.push(await submit({ workflow: workflowFor('b.safetensors') }), await submit({ workflow: workflowFor('a.safetensors') }));
    const jobs = await Promise.all(ids.map(finished));
    expect(jobs.map((j) => [j.status, j.backend])).toEqual([
      ['succeeded', 'gpu-b'],
      ['succeeded', 'gpu-a'],
      ['succeeded', 'gpu-b'],
      ['succeeded', 'gpu-a'],
    ]);
    // txt2img: an A1111 checkpoint by one of its other names (its model name) runs on forge-a.
    expect(await finished(await submit({ txt2img: { prompt: 'x', steps: 2, width: 64, height: 64, model: 'a' } }))).toMatchObject({ status: 'succeeded', backend: 'forge-a' });
  });

  it('refuses at submit a model no backend holds, naming it', async () => {
    const missing = await admin('POST', '/api/v1/jobs', { workflow: workflowFor('zzz.safetensors', { lora: 'detail.safetensors' }) });
    expect(missing.status).toBe(422);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(missing.body).toMatchObject({ code: 'MODEL_UNAVAILABLE', errors: { models: [{ kind: 'checkpoint', name: 'zzz.safetensors' }] } });
    expect(missing.body.detail).toContain('checkpoint: zzz.safetensors');
    // b.safetensors exists, but only on a ComfyUI backend: no A1111 backend holds it.
    const txt2img = await admin('POST', '/api/v1/jobs', { txt2img: { prompt: 'x', model: 'b.safetensors' } });
    expect(txt2img.body).toMatchObject({ code: 'MODEL_UNAVAILABLE', errors: { models: [{ kind: 'checkpoint', name: 'b.safetensors' }] } });
    // Each model is held somewhere, but no one backend holds both.
    const split = await admin('POST', '/api/v1/jobs', { workflow: workflowFor('b.safetensors', { lora: 'detail.safetensors' }) });
    expect(split.body.code).toBe('NO_ELIGIBLE_BACKEND');
    expect(split.body.errors.reasons).toEqual(expect.arrayContaining([expect.stringContaining('gpu-b: lacks models: lora: detail.safetensors')]));
  });

  it('counts in the wait explanation only the backends that hold the models', async () => {
    const long = await submit({ workflow: workflowFor('a.safetensors', { steps: 5000 }) });
    await waitUntil(async () => ((await job(long)).status === 'running' ? true : undefined));
    const waiting = await submit({ workflow: workflowFor('a.safetensors') });
    const explained = await waitUntil(async () => (await job(waiting)).queue);
    // gpu-a (busy, but able); not gpu-b (lacks it), nor forge-a (runs txt2img only).
    expect(explained.eligibleBackends).toBe(1);
    await admin('POST', `/api/v1/jobs/${long}/cancel`);
    expect(await finished(waiting)).toMatchObject({ status: 'succeeded', backend: 'gpu-a' });
  });

  it('keeps warm-model affinity among the holders', async () => {
    const first = await finished(await submit({ workflow: workflowFor('shared.safetensors') }));
    expect(first.status).toBe('succeeded');
    for (let i = 0; i < 3; i++) {
      // Both holders idle: the one that has shared.safetensors loaded wins the tie.
      expect(await finished(await submit({ workflow: workflowFor('shared.safetensors', { steps: 1 + i }) }))).toMatchObject({ status: 'succeeded', backend: first.backend });
    }
  });

  it('retries elsewhere when a backend turns out to miss a model, and refreshes its inventory', async () => {
    // gpu-b's inventory goes stale: it claims a.safetensors, which its sim does not have.
    const row = await worker.deps.db.backend.findUniqueOrThrow({ where: { id: 'gpu-b' } });
    const info = row.info as Json;
    await recordBackendInfo(worker.deps.db, 'gpu-b', { ...info, models: { ...info.models, checkpoint: [...info.models.checkpoint, 'a.safetensors'] } });
    await waitUntil(async () => (worker.deps.fleet.infoOf('gpu-b')?.models?.checkpoint?.includes('a.safetensors') ? true : undefined));
    expect((await admin('POST', '/api/v1/backends/gpu-a/drain')).status).toBe(200); // so the job meets gpu-b first

    const id = await submit({ workflow: workflowFor('a.safetensors') });
    const retrying = await waitUntil(async () => {
      const body = await job(id);
      return body.lastError ? body : undefined;
    });
    expect(retrying).toMatchObject({ status: 'queued', lastError: { code: 'MODEL_UNAVAILABLE', backend: 'gpu-b', attempt: 1 } });
    expect(retrying.lastError.message).toContain('checkpoint: a.safetensors');
    // The next probe reads gpu-b's real inventory again.
    await waitUntil(async () => {
      const models = (await admin('GET', '/api/v1/backends/gpu-b')).body.probe.models;
      return models && !models.checkpoint.includes('a.safetensors') ? true : undefined;
    });
    expect((await admin('GET', '/api/v1/models?kind=checkpoint')).body.items).toContainEqual({ kind: 'checkpoint', name: 'a.safetensors', backends: ['forge-a', 'gpu-a'] });

    await admin('POST', '/api/v1/backends/gpu-a/undrain');
    expect(await finished(id)).toMatchObject({ status: 'succeeded', backend: 'gpu-a', error: null });
    const states = (await admin('GET', `/api/v1/jobs/${id}/events`)).body.items.map((e: Json) => e.event).filter((e: Json) => e.type === 'state');
    expect(states.map((e: Json) => e.status)).toEqual(['queued', 'dispatched', 'queued', 'dispatched', 'running', 'succeeded']);
    expect(states[2].error.code).toBe('MODEL_UNAVAILABLE');
  });
});
