import { apiClient, startStack, waitUntil, type TestStack, jobEnd } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/** Jobs by parameters on AUTOMATIC1111-style backends, and jobs no backend could ever run. */
describe('txt2img jobs and submit-time eligibility', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 5, worker: false });
    // One simulated GPU speaks both protocols: register it as a ComfyUI and as an A1111 backend.
    const url = stack.sims[0]!.url;
    await stack.startWorker({
      GANTRY_BACKENDS: JSON.stringify([
        { id: 'comfy0', kind: 'comfyui', url, tags: ['sd15'] },
        { id: 'forge0', kind: 'a1111', url },
      ]),
      GANTRY_HEALTH_INTERVAL_MS: '200',
    });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  const finished = (id: string) =>
    jobEnd(admin, id);

  it('runs a txt2img job on the A1111 backend with progress and a PNG', async () => {
    const submit = await admin('POST', '/api/v1/jobs', { txt2img: { prompt: 'a lighthouse at dusk', steps: 150, width: 64, height: 96, seed: 7 } });
    expect(submit.status).toBe(202);
    expect(submit.body.kind).toBe('txt2img');
    const job = await finished(submit.body.id);
    expect(job).toMatchObject({ status: 'succeeded', backend: 'forge0', progress: 1 });
    expect(job.artifacts).toHaveLength(1);
    const png = (await admin('GET', job.artifacts[0].url)).body as Buffer;
    expect(png.readUInt32BE(16)).toBe(64);
    expect(png.readUInt32BE(20)).toBe(96);
    const events = (await admin('GET', `/api/v1/jobs/${job.id}/events`)).body.items.map((e: any) => e.event);
    expect(events.some((e: any) => e.type === 'progress' && e.max === 150)).toBe(true);
  });

  it('sends ComfyUI workflows to the ComfyUI backend only', async () => {
    const job = await finished((await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) })).body.id);
    expect(job).toMatchObject({ status: 'succeeded', backend: 'comfy0', kind: 'workflow' });
  });

  it('refuses at submit what no registered backend could ever run, with the reasons', async () => {
    const tags = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow(), requirements: { tags: ['h100'] } });
    expect(tags.status).toBe(422);
    expect(tags.body.code).toBe('NO_ELIGIBLE_BACKEND');
    expect(JSON.stringify(tags.body.errors.reasons)).toMatch(/h100/);

    // Once the probe has learned comfy0's node types, an unknown node type is refused too.
    await waitUntil(async () => ((await admin('GET', '/api/v1/backends/comfy0')).body.probe.nodeTypes?.length > 0 ? true : undefined));
    const workflow = { ...defaultWorkflow(), '99': { class_type: 'UpscaleWithMagic', inputs: {} } };
    const nodes = await admin('POST', '/api/v1/jobs', { workflow });
    expect(nodes.status).toBe(422);
    expect(JSON.stringify(nodes.body.errors.reasons)).toMatch(/UpscaleWithMagic/);

    const vram = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow(), requirements: { vramMb: 900_000 } });
    expect(vram.status).toBe(422);
    // A runnable job is still accepted.
    expect((await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }), requirements: { tags: ['sd15'] } })).status).toBe(202);
  });
});
