import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { reuseKey, workflowRunJson, type ReuseRequest } from './reuse-key';
import { seededRandom } from '@gantry/testing';


/** reuseKey's workflow form as it was before workflowRunJson (copied): the run text must stay this. */
function referenceRun(workflow: Record<string, { class_type?: unknown; inputs?: Record<string, unknown> }>): Record<string, unknown> | null {
  const nodes: Record<string, unknown> = {};
  for (const [id, node] of Object.entries(workflow)) {
    const inputs = node.inputs ?? {};
    for (const [name, value] of Object.entries(inputs)) if (/(^|_)seed$/i.test(name) && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) return null;
    nodes[id] = { class_type: node.class_type, inputs };
  }
  return nodes;
}

/** reuseKey of a workflow job as it was before (createHash, the copied form above). */
function referenceKey(request: ReuseRequest): string | null {
  const run = referenceRun(request.workflow as never);
  if (run === null) return null;
  const tags = Array.isArray((request.requirements as { tags?: unknown } | undefined)?.tags) ? [...new Set((request.requirements as { tags: unknown[] }).tags.map(String))].sort() : [];
  const inputs = request.inputs && Object.keys(request.inputs).length > 0 ? { inputs: request.inputs } : {};
  return createHash('sha256').update(canonicalJson({ v: 1, kind: 'workflow', run, tags, ...inputs })).digest('hex');
}

const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
const shuffle = <T>(next: () => number, list: T[]): T[] => list.sort(() => next() - 0.5);
const IDS = ['1', '2', '3', '9', '10', '11', '100', 'a', 'B', 'é', 'x"y', 'z\n', '\u{1F600}'];
const INPUT_NAMES = ['seed', 'noise_seed', 'Seed', 'steps', 'cfg', 'text', 'model', 'clip', 'a"b', 'seeds', 'reseed_x', '\u00e9', '10', '2'];
const LEAVES: unknown[] = ['x', '', 'é"\\\u0001', '\u{1F600}', 0, -0, 1.5, 1e21, -7, 12345, true, false, null, ['4', 0], ['10', 1]];
const SEEDS: unknown[] = [0, 42, 2 ** 53, -1, 1.5, '7', null, ['3', 0], undefined];

function randomJson(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 3 || r < 0.5) return pick(next, LEAVES);
  if (r < 0.7) return Array.from({ length: Math.floor(next() * 3) }, () => randomJson(next, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of shuffle(next, INPUT_NAMES.filter(() => next() < 0.3))) out[key] = randomJson(next, depth + 1);
  return out;
}

/** A workflow as a client may send it (and zod returns it): any key order, `_meta` or not, seeds fixed or not, odd nodes now and then. */
function randomWorkflow(next: () => number): Record<string, unknown> {
  const workflow: Record<string, unknown> = {};
  for (const id of shuffle(next, IDS.filter(() => next() < 0.4))) {
    const r = next();
    if (r < 0.03) {
      workflow[id] = pick(next, ['node', 3, [1], { class_type: 'A', inputs: 'text' }, { class_type: 'A', inputs: [1, 2] }]);
      continue;
    }
    const inputs: Record<string, unknown> = {};
    for (const name of shuffle(next, INPUT_NAMES.filter(() => next() < 0.35))) inputs[name] = /seed$/i.test(name) && next() < 0.6 ? pick(next, SEEDS) : randomJson(next, 0);
    const node: Record<string, unknown> = {};
    const keys = shuffle(next, ['class_type', 'inputs', '_meta', 'extra'].filter((k) => k === 'inputs' || next() < 0.85));
    for (const key of keys) {
      if (key === 'class_type') node[key] = pick(next, ['KSampler', 'CLIPTextEncode', 'é"', undefined]);
      else if (key === 'inputs') node[key] = next() < 0.05 ? undefined : inputs;
      else if (key === '_meta') node[key] = { title: pick(next, ['t', 'é', '']) };
      else if (next() < 0.2) node[key] = randomJson(next, 1);
    }
    workflow[id] = node;
  }
  return workflow;
}

describe('workflowRunJson', () => {
  it('writes canonicalJson of the workflow as it runs (what reuseKey built before), on random workflows', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const workflow = randomWorkflow(seededRandom(seed));
      const attempt = (f: () => string | null): string | null => {
        try {
          return f();
        } catch {
          return 'throws';
        }
      };
      const expected = attempt(() => {
        const nodes = referenceRun(workflow as never);
        return nodes === null ? null : canonicalJson(nodes);
      });
      expect([seed, attempt(() => workflowRunJson(workflow))]).toEqual([seed, expected]);
    }
    expect(workflowRunJson([1])).toBeNull();
    expect(workflowRunJson(null)).toBeNull();
  });

  it('makes reuseKey give the key the previous builder gave', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const next = seededRandom(seed);
      const workflow = JSON.parse(JSON.stringify(randomWorkflow(next))) as Record<string, unknown>;
      const request: ReuseRequest = {
        kind: 'workflow',
        workflow,
        requirements: next() < 0.5 ? { tags: shuffle(next, ['b', 'a', 'a', 'l4']) } : undefined,
        inputs: next() < 0.3 ? { image: 'f'.repeat(64) } : {},
      };
      const expected = referenceKey(request);
      expect([seed, reuseKey(request)]).toEqual([seed, expected]);
    }
  });

  it('has no run for a random seed and a run without _meta', () => {
    expect(workflowRunJson({ '1': { class_type: 'KSampler', inputs: { seed: -1 } }, '2': { class_type: 'A', inputs: {} } })).toBeNull();
    expect(workflowRunJson({ '2': { inputs: { b: 1, a: 2 }, class_type: 'K', _meta: { title: 't' } }, '10': { class_type: 'L' } })).toBe(
      '{"10":{"class_type":"L","inputs":{}},"2":{"class_type":"K","inputs":{"a":2,"b":1}}}',
    );
  });
});
