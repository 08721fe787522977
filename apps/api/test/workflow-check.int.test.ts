import { apiClient, startStack, type TestStack } from '@gantry/testing';

const MAX_NODES = 40;
const MAX_DEPTH = 64;
const NODE = '{"class_type":"X","inputs":{}}';
const GOOD = `{"1":${NODE}}`;

/** `[[[…"leaf"…]]]`, `depth` arrays deep. */
function deep(depth: number): string {
  return `${'['.repeat(depth)}"leaf"${']'.repeat(depth)}`;
}

/** Workflows as the JSON text a client sends (so `__proto__` is an own key, as JSON.parse makes it). */
const REFUSED: Array<[string, string]> = [
  ['nesting beyond the body parser’s depth limit in an input', `{"1":{"class_type":"X","inputs":{"a":${deep(MAX_DEPTH + 10)}}}}`],
  ['more nodes than GANTRY_WORKFLOW_MAX_NODES', `{${Array.from({ length: MAX_NODES + 1 }, (_, i) => `"${i + 1}":${NODE}`).join(',')}}`],
  ['only a `__proto__` node (dropped: no nodes)', `{"__proto__":${NODE}}`],
  ['inputs null', '{"1":{"class_type":"X","inputs":null}}'],
  ['inputs an array', '{"1":{"class_type":"X","inputs":[1,2]}}'],
  ['inputs a string', '{"1":{"class_type":"X","inputs":"seed=1"}}'],
  ['inputs a number', '{"1":{"class_type":"X","inputs":7}}'],
  ['a node that is a number', '{"1":7}'],
  ['a workflow that is an array', `[${NODE}]`],
  ['a workflow that is a string', '"workflow"'],
  ['an unstorable string deep in an input', `{"1":{"class_type":"X","inputs":{"a":[[{"b":"x\\u0000"}]]}}}`],
  ['an unstorable `__proto__` value in _meta', `{"1":{"class_type":"X","inputs":{},"_meta":{"title":"t","x":{"__proto__":"\\ud800"}}}}`],
];

const ACCEPTED: Array<[string, string]> = [
  ['nesting within the depth limit in an input', `{"1":{"class_type":"X","inputs":{"a":${deep(MAX_DEPTH - 10)}}}}`],
  ['`MAX_NODES` nodes', `{${Array.from({ length: MAX_NODES }, (_, i) => `"${i + 1}":${NODE}`).join(',')}}`],
  ['a `__proto__` key that is not a node, beside a good one (dropped unchecked, as the schema does)', `{"1":${NODE},"__proto__":5}`],
  ['a `constructor` and a `toString` node', `{"constructor":${NODE},"toString":${NODE}}`],
  ['a `__proto__` input key (dropped)', '{"1":{"class_type":"X","inputs":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}}'],
  ['a `__proto__` key in a node and in its _meta (dropped)', '{"1":{"class_type":"X","inputs":{},"__proto__":{"class_type":1},"_meta":{"__proto__":{"polluted":true}}}}'],
];

/**
 * The workflow checker of the hot path (workflow-check.ts) meets hostile workflows as the schema
 * did: every refusal a 4xx problem+json (never a 500), by the single submit and in a batch; odd
 * keys that are valid accepted, and none of them reaches a prototype.
 */
describe('hostile workflows, single and batch', () => {
  let stack: TestStack;
  let client: ReturnType<typeof apiClient>;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    stack = await startStack({ worker: false, gpus: 0, apiEnv: { GANTRY_WORKFLOW_MAX_NODES: String(MAX_NODES), GANTRY_JSON_MAX_DEPTH: String(MAX_DEPTH) } });
    client = apiClient(stack.url, stack.adminKey);
  }, 60_000);
  afterAll(() => stack?.close());

  const jobs = () => stack.apiResources.deps.db.job.count();

  it.each(REFUSED)('refuses %s with a 4xx problem, alone and in a batch, and stores nothing', async (_, workflow) => {
    const before = await jobs();
    const single = await client('POST', '/api/v1/jobs', `{"workflow":${workflow}}`, json);
    const batch = await client('POST', '/api/v1/jobs/batch', `{"jobs":[{"workflow":${GOOD}},{"workflow":${workflow}}]}`, json);
    for (const res of [single, batch]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(typeof res.body.code).toBe('string');
    }
    // A batch names the refused item by its index (unless the body parser refused the whole request first).
    if (batch.body.code === 'BATCH_INVALID') expect(batch.body.errors.map((e: { index: number }) => e.index)).toEqual([1]);
    expect(await jobs()).toBe(before);
  });

  it.each(ACCEPTED)('accepts %s, alone and in a batch', async (_, workflow) => {
    const single = await client('POST', '/api/v1/jobs', `{"workflow":${workflow}}`, json);
    expect(single.status).toBe(202);
    const batch = await client('POST', '/api/v1/jobs/batch', `{"jobs":[{"workflow":${workflow}},{"workflow":${workflow}}]}`, json);
    expect(batch.status).toBe(202);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stores a workflow with a `__proto__` key as the schema gives it: without that key', async () => {
    const res = await client('POST', '/api/v1/jobs', '{"workflow":{"1":{"class_type":"X","inputs":{"__proto__":{"p":1},"seed":3}}}}', json);
    expect(res.status).toBe(202);
    const row = await stack.apiResources.deps.db.job.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.workflow).toEqual({ '1': { class_type: 'X', inputs: { seed: 3 } } });
  });
});
