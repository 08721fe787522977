import { readFileSync } from 'node:fs';
import path from 'node:path';
import { summarisePng } from '../../gpu-sim/src/image/png-decode';
import { apiClient, startStack, waitUntil, type TestStack, jobEnd } from '@gantry/testing';
import { png } from '../../api/test/images';

const img2img = () => JSON.parse(readFileSync(path.join(__dirname, '../../gpu-sim/fixtures/img2img-workflow.json'), 'utf8'));

/** Input images end to end: upload → submit → the worker puts them on the backend → LoadImage uses them. */
describe('jobs with input images', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startStack({ gpus: 2, stepMs: 2, workerEnv: { GANTRY_MAX_ATTEMPTS: '3', GANTRY_RETRY_BASE_MS: '4000' } });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  const upload = async (bytes: Buffer) =>
    (await (await fetch(`${stack.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}` }, body: bytes })).json()) as any;
  const finished = (id: string) =>
    jobEnd(admin, id);
  const output = async (job: any) => summarisePng((await admin('GET', job.artifacts[0].url)).body as Buffer);
  const uploadsOf = (sha: string) => stack.sims.map((s) => s.uploads().filter((u) => u.name === `${sha}.png` && u.subfolder === 'gantry'));

  it('uploads each input to the backend under its content hash; the output is made from it', async () => {
    stack.sims.forEach((s) => s.clearFaults());
    const red = await upload(png(40, 24, [250, 10, 10]));
    const blue = png(48, 16, [10, 10, 250]);
    const jobA = await finished((await admin('POST', '/api/v1/jobs', { workflow: img2img(), inputs: { photo: { upload: red.id } } })).body.id);
    const jobB = await finished((await admin('POST', '/api/v1/jobs', { workflow: img2img(), inputs: { photo: { base64: blue.toString('base64') } } })).body.id);
    expect(jobA.status).toBe('succeeded');
    expect(jobB.status).toBe('succeeded');
    const a = await output(jobA);
    const b = await output(jobB);
    expect([a.width, a.height]).toEqual([40, 24]);
    expect([b.width, b.height]).toEqual([48, 16]);
    expect(a.mean[0]).toBeGreaterThan(a.mean[2] + 40);
    expect(b.mean[2]).toBeGreaterThan(b.mean[0] + 40);
    // The bytes the backend received are the upload's.
    const received = uploadsOf(red.sha256).flat();
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received[0]).toMatchObject({ sha256: red.sha256, bytes: red.bytes, type: 'input' });
  });

  it('a second job with the same input reuses the file on the backend', async () => {
    const photo = await upload(png(16, 16, [20, 200, 20]));
    for (let i = 0; i < 2; i++) {
      const job = await finished((await admin('POST', '/api/v1/jobs', { workflow: img2img(), inputs: { photo: { upload: photo.id } } })).body.id);
      expect(job.status).toBe('succeeded');
    }
    const all = uploadsOf(photo.sha256).flat();
    expect(all).toHaveLength(2);
    // Where both jobs ran on one backend, the second upload found equal bytes and kept them.
    for (const perSim of uploadsOf(photo.sha256)) if (perSim.length === 2) expect(perSim[1]!.duplicate).toBe(true);
  });

  it('a retry on another backend uploads the input there', async () => {
    // Both backends run out of memory until the first attempt failed on one of them; the retry
    // (no sooner than 2 s later: GANTRY_RETRY_BASE_MS) avoids that one and finds the other healthy.
    stack.sims.forEach((s) => s.setFaults({ oom: true }));
    try {
      const photo = await upload(png(8, 8, [90, 1, 2]));
      const submitted = (await admin('POST', '/api/v1/jobs', { workflow: img2img(), inputs: { photo: { upload: photo.id } } })).body;
      const first = await waitUntil(async () => (await admin('GET', `/api/v1/jobs/${submitted.id}`)).body.lastError ?? undefined);
      const other = first.backend === 'sim0' ? 1 : 0;
      stack.sims[other]!.clearFaults();
      const job = await finished(submitted.id);
      expect(job).toMatchObject({ status: 'succeeded', attempts: 2, backend: `sim${other}` });
      expect(uploadsOf(photo.sha256).map((list) => list.length)).toEqual([1, 1]);
    } finally {
      stack.sims.forEach((s) => s.clearFaults());
    }
  });
});
