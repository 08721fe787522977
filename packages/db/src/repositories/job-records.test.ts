import { canonicalJson } from '@gantry/domain';
import { jobRecordsJson, type NewBatchJob } from './job-batches';

/** The statement's `$1` as insertJobs built it before jobRecordsJson (copied): the records must read the same. */
function reference(jobs: readonly NewBatchJob[]): string {
  return JSON.stringify(
    jobs.map((j) => ({
      id: j.id,
      tenant_id: j.tenantId,
      kind: j.kind ?? 'workflow',
      workflow: j.workflow,
      priority: j.priority,
      requirements: j.requirements ?? null,
      metadata: j.metadata ?? null,
      timeout_seconds: j.timeoutSeconds ?? null,
      webhook_url: j.webhook?.url ?? null,
      webhook_events: j.webhook?.events ?? [],
      idempotency_key: j.idempotencyKey ?? null,
      request_hash: j.requestHash ?? null,
      retry_of: j.retryOf ?? null,
      reuse_key: j.reuseKey ?? null,
    })),
  );
}

const base = { tenantId: '0190a000-0000-7000-8000-000000000001', priority: 0 };
const jobs: NewBatchJob[] = [
  { ...base, id: '0190a000-0000-7000-8000-000000000010', workflow: { '2': { inputs: { seed: 1, text: 'é"\n' }, class_type: 'K' }, '10': { class_type: 'L', inputs: {} } } },
  { ...base, id: '0190a000-0000-7000-8000-000000000011', kind: 'txt2img', workflow: { prompt: 'x', seed: 3 }, priority: -5, requirements: { tags: ['l4'] }, metadata: { a: [1, null] } },
  { ...base, id: '0190a000-0000-7000-8000-000000000012', workflow: undefined, timeoutSeconds: 60, webhook: { url: 'https://h.example/x', events: ['succeeded'] } },
  { ...base, id: '0190a000-0000-7000-8000-000000000013', workflow: { '1': { class_type: 'A', inputs: {} } }, idempotencyKey: 'k 0', requestHash: 'ab', retryOf: '0190a000-0000-7000-8000-000000000010', reuseKey: 'cd' },
];

describe('jobRecordsJson', () => {
  it('writes the records JSON.stringify wrote (any key order: jsonb_to_recordset reads them by name)', () => {
    expect(JSON.parse(jobRecordsJson(jobs))).toEqual(JSON.parse(reference(jobs)));
    expect(jobRecordsJson([])).toBe('[]');
  });

  it("takes a job's workflowJson as its workflow's text instead of serializing the workflow", () => {
    const withText = jobs.map((j) => (j.workflow === undefined ? j : { ...j, workflowJson: canonicalJson(j.workflow) }));
    expect(JSON.parse(jobRecordsJson(withText))).toEqual(JSON.parse(reference(jobs)));
    // The text is used as it is: it is not the workflow serialized again.
    const marked = jobRecordsJson([{ ...jobs[0]!, workflowJson: '{"from":"text"}' }]);
    expect((JSON.parse(marked) as { workflow: unknown }[])[0]!.workflow).toEqual({ from: 'text' });
  });
});
