import { JobStore } from '../client/job-store.js';
import type { Job, JobEventRecord } from '../client/types.js';

const ID = '019a0000-0000-7000-8000-000000000001';

function job(over: Partial<Job> = {}): Job {
  return {
    id: ID, kind: 'workflow', status: 'queued', priority: 0, progress: 0, attempts: 0, backend: null, requirements: null,
    metadata: null, timeoutSeconds: null, createdAt: '2026-01-01T00:00:00.000Z', startedAt: null, finishedAt: null,
    error: null, lastError: null, artifacts: [], webhook: null, retryOf: null, reusedFrom: null, links: { self: `/api/v1/jobs/${ID}`, cancel: `/api/v1/jobs/${ID}/cancel`, events: `/api/v1/jobs/${ID}/events` }, ...over,
  };
}

const ev = (seq: number, event: JobEventRecord['event'], jobId = ID): JobEventRecord => ({ jobId, seq, at: `2026-01-01T00:00:0${seq % 10}.000Z`, event });

test('applies state, progress and output events in sequence', () => {
  const store = new JobStore();
  const changed: string[][] = [];
  store.onChange((ids) => changed.push(ids));
  store.upsert(job(), 1);
  expect(store.apply(ev(2, { type: 'state', status: 'running', attempt: 1, backend: 'gpu0' }))).toBe('applied');
  expect(store.apply(ev(3, { type: 'progress', node: '3', value: 5, max: 10, overall: 0.5 }))).toBe('applied');
  expect(store.get(ID)).toMatchObject({ status: 'running', backend: 'gpu0', attempts: 1, progress: 0.5, startedAt: '2026-01-01T00:00:02.000Z' });
  expect(store.apply(ev(4, { type: 'output', artifactId: 'a1', nodeId: '9', filename: 'x.png', contentType: 'image/png', bytes: 10 }))).toBe('applied');
  expect(store.get(ID)!.artifacts).toEqual([{ id: 'a1', nodeId: '9', filename: 'x.png', contentType: 'image/png', bytes: 10, url: `/api/v1/jobs/${ID}/artifacts/a1` }]);
  expect(store.apply(ev(5, { type: 'state', status: 'succeeded', attempt: 1 }))).toBe('applied');
  expect(store.get(ID)).toMatchObject({ status: 'succeeded', progress: 1, finishedAt: '2026-01-01T00:00:05.000Z' });
  expect(changed).toHaveLength(5);
});

test('duplicates are ignored, gaps and unknown jobs are reported', () => {
  const store = new JobStore();
  store.upsert(job(), 3);
  expect(store.apply(ev(3, { type: 'state', status: 'running', attempt: 1 }))).toBe('duplicate');
  expect(store.apply(ev(5, { type: 'state', status: 'running', attempt: 1 }))).toBe('gap');
  expect(store.get(ID)!.status).toBe('queued');
  expect(store.apply(ev(1, { type: 'state', status: 'running', attempt: 1 }, '019a0000-0000-7000-8000-000000000002'))).toBe('unknown-job');
});

test('progress restarts on a retry', () => {
  const store = new JobStore();
  store.upsert(job({ status: 'running' }), 1);
  store.apply(ev(2, { type: 'progress', node: '3', value: 6, max: 10, overall: 0.6 }));
  expect(store.get(ID)!.progress).toBe(0.6);
  store.apply(ev(3, { type: 'state', status: 'queued', attempt: 1 }));
  expect(store.get(ID)!.progress).toBe(0);
});

test('a stale REST read never reopens a finished job; previews end with the job', () => {
  const store = new JobStore();
  store.upsert(job({ status: 'running' }), 1);
  store.setPreview(ID, 'data:image/png;base64,AA==');
  expect(store.preview(ID)).toBe('data:image/png;base64,AA==');
  store.apply(ev(2, { type: 'state', status: 'canceled', attempt: 1, error: { code: 'CANCELED', message: 'canceled' } }));
  expect(store.preview(ID)).toBeNull();
  store.upsert(job({ status: 'running' }));
  expect(store.get(ID)).toMatchObject({ status: 'canceled', error: { code: 'CANCELED' } });
  store.setPreview(ID, 'data:image/png;base64,AA==');
  expect(store.preview(ID)).toBeNull();
});

test('a read answered before the latest events does not move a job back, but adds what events lack', () => {
  const store = new JobStore();
  store.upsert(job({ status: 'queued' }), 1);
  store.apply(ev(2, { type: 'state', status: 'running', attempt: 1, backend: 'gpu0' }));
  store.apply(ev(3, { type: 'progress', node: '3', value: 5, max: 10, overall: 0.5 }));
  store.upsert(job({ status: 'queued', priority: 7, kind: 'txt2img', metadata: { shot: 'a' }, queue: { position: 3, eligibleBackends: 1, throughputPerMinute: 1, estimatedStartAt: null } }));
  expect(store.get(ID)).toMatchObject({ status: 'running', backend: 'gpu0', progress: 0.5, priority: 7, kind: 'txt2img', metadata: { shot: 'a' } });
  expect(store.get(ID)!.queue).toBeUndefined();
  // A read from a later stage wins.
  store.upsert(job({ status: 'succeeded', progress: 1, finishedAt: '2026-01-01T00:01:00.000Z' }));
  expect(store.get(ID)).toMatchObject({ status: 'succeeded', progress: 1 });
});

test('lists newest first, filtered by status', () => {
  const store = new JobStore();
  const ids = ['019a0000-0000-7000-8000-000000000001', '019a0000-0000-7000-8000-000000000003', '019a0000-0000-7000-8000-000000000002'];
  store.upsert(job({ id: ids[0]!, status: 'succeeded' }));
  store.upsert(job({ id: ids[1]!, status: 'queued' }));
  store.upsert(job({ id: ids[2]!, status: 'succeeded' }));
  expect(store.list().map((j) => j.id)).toEqual([ids[1], ids[2], ids[0]]);
  expect(store.list('succeeded').map((j) => j.id)).toEqual([ids[2], ids[0]]);
  expect(store.list('failed')).toEqual([]);
});

test('beyond its bound the store forgets the oldest finished jobs, never active ones', () => {
  const store = new JobStore(3);
  const id = (n: number) => `019a0000-0000-7000-8000-00000000000${n}`;
  store.upsert(job({ id: id(1), status: 'running' }));
  store.upsert(job({ id: id(2), status: 'succeeded' }));
  store.upsert(job({ id: id(3), status: 'failed' }));
  store.upsert(job({ id: id(4), status: 'succeeded' }));
  expect(store.list().map((j) => j.id)).toEqual([id(4), id(3), id(1)]);
  store.upsert(job({ id: id(5), status: 'queued' }));
  expect(store.list().map((j) => j.id)).toEqual([id(5), id(4), id(1)]);
});

test('a read gives a job first seen through its events what events do not carry (inputs, retryOf, webhook)', () => {
  const store = new JobStore();
  // The stream's view of a job submitted a moment ago: its events beat the submit's answer.
  store.upsert(job({ status: 'running', kind: 'workflow' }), 2);
  const input = { name: 'photo', source: 'upload' as const, uploadId: 'u1', sha256: 'ab', contentType: 'image/png', bytes: 10, width: 2, height: 1, filename: 'gantry/ab.png', targets: [{ node: '20', field: 'image' }], url: '/api/v1/uploads/u1/content' };
  const webhook = { url: 'https://example.com/h', events: ['job.succeeded' as const] };
  store.upsert(job({ status: 'queued', inputs: [input], retryOf: '019a0000-0000-7000-8000-000000000009', webhook }));
  expect(store.get(ID)).toMatchObject({ status: 'running', inputs: [input], retryOf: '019a0000-0000-7000-8000-000000000009', webhook });
  // A later read without inputs (a cancel's answer) keeps the ones known.
  store.upsert(job({ status: 'running' }));
  expect(store.get(ID)!.inputs).toEqual([input]);
});
