import { apiClient, startStack, type TestStack } from '@gantry/testing';
import { utf8Length } from '@gantry/domain';
import { openApiDocument } from '../src/openapi/document';
import { OpenApiContract } from './openapi-contract';

const MAX_NODES = 40;
const MAX_BYTES = 6000;
const MAX_STRING_BYTES = 500;

type Workflow = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** `nodes` nodes: one SaveImage fed by a chain of text encoders (keys in the order the API re-serialises them). */
function workflowOf(nodes: number, text = 'a'): Workflow {
  const wf: Workflow = { '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly-fp16.safetensors' } } };
  for (let i = 2; i <= nodes; i++) wf[String(i)] = { class_type: 'CLIPTextEncode', inputs: { text, clip: ['1', 1] } };
  return wf;
}

/** Lengthens the nodes' texts (each within the string limit) so the workflow's JSON is exactly `bytes` UTF-8 bytes. */
function withBytes(wf: Workflow, bytes: number): Workflow {
  const out = structuredClone(wf);
  let pad = bytes - utf8Length(JSON.stringify(wf));
  for (const node of Object.values(out)) {
    if (typeof node.inputs.text !== 'string' || pad === 0) continue;
    const more = Math.min(pad, MAX_STRING_BYTES - utf8Length(node.inputs.text));
    node.inputs.text += 'p'.repeat(more);
    pad -= more;
  }
  expect(utf8Length(JSON.stringify(out))).toBe(bytes);
  return out;
}

/**
 * Issue 11: workflow size limits a real ComfyUI can take (GANTRY_WORKFLOW_MAX_NODES, _BYTES,
 * _STRING_BYTES), at the boundary: at each limit a submit is accepted, one over is refused with a
 * stable code (413 WORKFLOW_TOO_LARGE for nodes and bytes, 422 VALIDATION_FAILED `too_big` naming
 * the string), as documented, and a refused submit writes nothing. Retries meet the same limits.
 */
describe('workflow size limits', () => {
  let stack: TestStack;
  let client: ReturnType<typeof apiClient>;
  const contract = new OpenApiContract(openApiDocument().document as Record<string, unknown>);

  beforeAll(async () => {
    stack = await startStack({
      worker: false,
      gpus: 0,
      apiEnv: { GANTRY_WORKFLOW_MAX_NODES: String(MAX_NODES), GANTRY_WORKFLOW_MAX_BYTES: String(MAX_BYTES), GANTRY_WORKFLOW_MAX_STRING_BYTES: String(MAX_STRING_BYTES) },
    });
    client = apiClient(stack.url, stack.adminKey);
  }, 60_000);
  afterAll(() => stack?.close());

  const jobs = () => stack.apiResources.deps.db.job.count();

  async function refused(workflow: Workflow, status: number, code: string) {
    const before = await jobs();
    const res = await client('POST', '/api/v1/jobs', { workflow });
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(contract.check('POST', '/api/v1/jobs', res).issues).toEqual([]);
    expect(await jobs()).toBe(before);
    return res.body;
  }

  it('nodes: at the limit accepted, one over 413 WORKFLOW_TOO_LARGE', async () => {
    expect((await client('POST', '/api/v1/jobs', { workflow: workflowOf(MAX_NODES) })).status).toBe(202);
    const body = await refused(workflowOf(MAX_NODES + 1), 413, 'WORKFLOW_TOO_LARGE');
    expect(body.errors).toEqual({ limit: 'nodes', max: MAX_NODES, actual: MAX_NODES + 1 });
  });

  it('bytes of the workflow JSON: at the limit accepted, one over 413 WORKFLOW_TOO_LARGE', async () => {
    const at = withBytes(workflowOf(MAX_NODES), MAX_BYTES);
    expect((await client('POST', '/api/v1/jobs', { workflow: at })).status).toBe(202);
    const body = await refused(withBytes(workflowOf(MAX_NODES), MAX_BYTES + 1), 413, 'WORKFLOW_TOO_LARGE');
    expect(body.errors).toEqual({ limit: 'bytes', max: MAX_BYTES, actual: MAX_BYTES + 1 });
  });

  it('one string: at the limit accepted (UTF-8 bytes), one over 422 naming it', async () => {
    const at = workflowOf(3, 'é'.repeat(MAX_STRING_BYTES / 2));
    expect((await client('POST', '/api/v1/jobs', { workflow: at })).status).toBe(202);
    const body = await refused(workflowOf(3, `${'é'.repeat(MAX_STRING_BYTES / 2)}x`), 422, 'VALIDATION_FAILED');
    expect(body.errors).toEqual([{ path: 'workflow.3.inputs.text', code: 'too_big', message: expect.stringMatching(/at most 500 bytes/) }]);
  });

  it('a retry meets the limits of the day: a job over them cannot be retried', async () => {
    const accepted = await client('POST', '/api/v1/jobs', { workflow: workflowOf(MAX_NODES) });
    expect(accepted.status).toBe(202);
    expect((await client('POST', `/api/v1/jobs/${accepted.body.id}/cancel`)).status).toBe(200);
    // Another instance, configured lower (the stack closes it).
    const stricter = await stack.startApi({ GANTRY_WORKFLOW_MAX_NODES: String(MAX_NODES - 1) });
    const retry = await apiClient(stricter.api.url, stack.adminKey)('POST', `/api/v1/jobs/${accepted.body.id}/retry`);
    expect({ status: retry.status, code: retry.body.code }).toEqual({ status: 413, code: 'WORKFLOW_TOO_LARGE' });
  });
});
