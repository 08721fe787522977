import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { isWorkflowAsParsed, submitJobSchema, submitJobSchemaForCheckedWorkflow, workflowSchema } from '@gantry/domain';
import { parseSubmitJob } from './submit-job-parse';

const WORKFLOW = JSON.parse(readFileSync(path.join(__dirname, '../../../gpu-sim/fixtures/default-workflow.json'), 'utf8')) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
const UPLOAD = '0192f1a0-0000-7000-8000-000000000001';

/** Bodies a client sends, valid and not: every branch of the schema (kinds, defaults, refinements, strictness). */
const VALID: unknown[] = [
  { workflow: WORKFLOW },
  { workflow: WORKFLOW, metadata: { seed: 1, tags: ['a', { b: null }] }, priority: 7, timeoutSeconds: 60, reuse: true },
  { workflow: { '1': { class_type: 'X' } } }, // a node's inputs default to {}
  { workflow: { '1': { class_type: 'X', inputs: { image: 'in.png' }, _meta: { title: 't', extra: [1, 2] } } }, inputs: { photo: { upload: UPLOAD } } },
  { workflow: WORKFLOW, requirements: { tags: ['sdxl'], vramMb: 8000 }, webhook: { url: 'https://example.com/hook' } },
  { txt2img: { prompt: 'a lighthouse', steps: 20, width: 512, height: 768 } },
  { img2img: { prompt: 'a lighthouse' }, inputs: { image: { upload: UPLOAD } } },
  { workflow: { '1': { class_type: 'X', inputs: {}, _meta: { title: 'x'.repeat(500) } } } }, // each limit, at it
  { workflow: { '1': { class_type: 'X', inputs: {}, _meta: { title: '\u{1F600}'.repeat(250) } } } },
  // 502 UTF-16 units but 251 code points, which zod counts: valid, and zod's to decide (the checker says no).
  { workflow: { '1': { class_type: 'X', inputs: {}, _meta: { title: '\u{1F600}'.repeat(251) } } } },
];
const INVALID: unknown[] = [
  {},
  { workflow: {} },
  { workflow: WORKFLOW, txt2img: { prompt: 'x' } },
  { workflow: WORKFLOW, extra: 1 },
  { workflow: WORKFLOW, priority: 1000 },
  { workflow: { '1': { class_type: '', inputs: {} } } },
  { workflow: { '1': { class_type: 'X', inputs: { a: 'x\u0000' } } } },
  { workflow: { '1': { class_type: 'X', inputs: { ['k\ud800']: 1 } } } },
  { workflow: { '1': { class_type: 'X', inputs: { n: Infinity } } } },
  { workflow: { '1': { class_type: 'X', _meta: { title: 1 } } } },
  { workflow: { '1': { class_type: 'X', inputs: {}, _meta: { title: 'x'.repeat(501) } } } }, // and one past it
  // Not JSON.parse's (an own function `constructor`): zod's plain-object test refuses the record.
  { workflow: { '1': { class_type: 'X', inputs: { constructor: () => 1 } } } },
  { workflow: WORKFLOW, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) },
  { txt2img: { prompt: 'x', width: 100 } },
  { txt2img: { prompt: 'x' }, inputs: { image: { upload: UPLOAD } } },
  { img2img: { prompt: 'x' } },
  { img2img: { prompt: 'x' }, inputs: { image: { upload: UPLOAD, node: '1' }, other: { upload: UPLOAD } } },
  { workflow: WORKFLOW, webhook: { url: 'not a url' } },
  'a string',
  null,
];

/** A small seeded PRNG (mulberry32): the same bodies every run, so a failure reproduces. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

/** Strings at and around every limit the schema sets, and every kind of text it refuses. */
const EMOJI = '\u{1F600}'; // two UTF-16 units, one code point
const ODD_TEXT = ['', 'a', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(500), 'x'.repeat(501), EMOJI.repeat(32), EMOJI.repeat(33), EMOJI.repeat(100), EMOJI.repeat(101), EMOJI.repeat(250), EMOJI.repeat(251), 'a\u0000b', 'a\ud800', '\udc00', `${EMOJI}\ud83d`, '__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '12', ' '];
const ODD_VALUES: unknown[] = [null, true, 0, -1.5, Infinity, -Infinity, NaN, 'text', [], [1, 'a'], ['4', 0], ['4', Infinity], [NaN], ['a\u0000', 1], [1, { a: 'x\ud800' }], {}, { a: 1 }, 'x\u0000', ['ok', ['deep', 'x\ud800']], { k: { k: { k: Infinity } } }, JSON.parse('{"__proto__": {"polluted": true}}'), JSON.parse('{"__proto__": "x\\u0000"}')];

/** An object with one own key set, `__proto__` included (an object literal would set the prototype instead). */
function withOwn(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? { n: v } : [v];
  return v;
}

const INPUT_NAMES = ['seed', 'steps', 'cfg', 'text', 'model', 'ckpt_name', 'width', 'images'];
const CLASS_TYPES = ['KSampler', 'CLIPTextEncode', 'SaveImage'];

/** A value ComfyUI sends as an input: a literal, a link, a small nested value. */
function plainInputOf(r: Rng): unknown {
  return r.pick<unknown>([r.int(1e9), r.next(), 'a prompt', ['3', r.int(3)], true, null, { nested: [1, { x: 'y' }] }]);
}

// Deep values (1000+ levels) are fixed examples (DEEP below), not generated: each costs zod's walk
// of every level, and a few of them cover what thousands would.
function inputsOf(r: Rng): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  const count = r.int(6);
  for (let i = 0; i < count; i++) {
    const name = r.chance(0.9) ? r.pick(INPUT_NAMES) : r.pick(ODD_TEXT);
    const value = r.chance(0.85) ? plainInputOf(r) : r.chance(0.9) ? r.pick(ODD_VALUES) : nested(2 + r.int(6), r.pick(['leaf', 'x\u0000', Infinity]));
    withOwn(inputs, name, value);
  }
  return inputs;
}

/** A node as ComfyUI writes it (valid), keys in either order, sometimes with a `_meta`. */
function validNodeOf(r: Rng): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (let i = r.int(5); i > 0; i--) inputs[r.pick(INPUT_NAMES)] = plainInputOf(r);
  const classType = r.pick(CLASS_TYPES);
  const node: Record<string, unknown> = r.chance(0.5) ? { class_type: classType, inputs } : { inputs, class_type: classType };
  if (r.chance(0.3)) node._meta = { title: 'A title' };
  return node;
}

function nodeOf(r: Rng): unknown {
  if (r.chance(0.04)) return r.pick<unknown>([null, [], 'node', 3, Object.create(null), new (class Node {})()]);
  const node: Record<string, unknown> = {};
  // Keys in either order: ComfyUI writes inputs first, zod's output puts class_type first.
  const classType = r.chance(0.9) ? r.pick(CLASS_TYPES) : r.chance(0.85) ? r.pick(ODD_TEXT) : r.pick(ODD_VALUES);
  const inputs = r.chance(0.93) ? inputsOf(r) : r.chance(0.4) ? undefined : r.pick<unknown>([null, [], 'inputs', 7, Object.create(null), JSON.parse('{"__proto__": 1}')]);
  const first = r.chance(0.5);
  if (first && r.chance(0.97)) node.class_type = classType;
  if (inputs !== undefined) node.inputs = inputs;
  if (!first && r.chance(0.97)) node.class_type = classType;
  if (r.chance(0.5)) {
    const meta: Record<string, unknown> = r.chance(0.9) ? { title: r.chance(0.85) ? 'A title' : r.pick<unknown>([...ODD_TEXT, ...ODD_VALUES]) } : {};
    if (r.chance(0.15)) withOwn(meta, r.pick(['extra', 'pos', ...ODD_TEXT]), r.pick(ODD_VALUES));
    node._meta = r.chance(0.95) ? meta : r.pick<unknown>([null, [], 'meta', undefined]);
  }
  if (r.chance(0.04)) withOwn(node, r.pick(['extra', 'is_changed', '__proto__', 'constructor']), r.pick(ODD_VALUES));
  return node;
}

function workflowOf(r: Rng): unknown {
  if (r.chance(0.02)) return r.pick<unknown>([null, [], 'workflow', 1, {}, Object.create(null)]);
  const workflow: Record<string, unknown> = {};
  if (r.chance(0.05)) {
    // A large workflow, 100-400 nodes, mostly valid (so most reach the fast path and a stricter
    // schema, a cap on nodes say, would be caught), sometimes with one bad node somewhere.
    const count = 100 + r.int(300);
    const bad = r.chance(0.3) ? r.int(count) : -1;
    for (let i = 0; i < count; i++) withOwn(workflow, String(i + 1), i === bad ? nodeOf(r) : validNodeOf(r));
    return workflow;
  }
  const count = r.chance(0.05) ? 0 : 1 + r.int(8);
  for (let i = 0; i < count; i++) withOwn(workflow, r.chance(0.92) ? String(i + 1) : r.pick(ODD_TEXT), nodeOf(r));
  if (r.chance(0.01)) workflow[Symbol('s') as unknown as string] = nodeOf(r);
  if (r.chance(0.01)) Object.defineProperty(workflow, 'hidden', { value: nodeOf(r), enumerable: false });
  return workflow;
}

/** A job body around a workflow: mostly valid otherwise, sometimes not (so the other fields' issues mix with the workflow's). */
function bodyOf(r: Rng): unknown {
  if (r.chance(0.01)) return r.pick<unknown>([null, 'body', [], 3]);
  const body: Record<string, unknown> = {};
  if (r.chance(0.95)) body.workflow = workflowOf(r);
  if (r.chance(0.05)) body.txt2img = { prompt: 'p' };
  if (r.chance(0.05)) body.inputs = r.pick([{ photo: { upload: UPLOAD } }, { image: 'x' }]);
  if (r.chance(0.1)) body.priority = r.pick([0, 5, 101, 1.5, '1']);
  if (r.chance(0.1)) body.metadata = r.pick([{ run: 'a' }, { ['k\u0000']: 1 }, []]);
  if (r.chance(0.03)) body.extra = 1;
  return body;
}

/** The generator's seed: fixed, so a failure reproduces; GANTRY_FUZZ_SEED explores others. */
const SEED = Number(process.env.GANTRY_FUZZ_SEED ?? 20_261_206);
/** How many generated bodies: bounded, so the suite stays quick on a shared 2-core machine. */
const BODIES = 1500;
/** How many generated workflows alone. */
const WORKFLOWS = 1000;
/** More nodes than any workflow of the fixed examples: a large workflow the fast path must get right. */
const LARGE = 200;

/** Values 1000-2000 levels deep (the body parser's own bound is further): valid, and unstorable at the bottom. */
const DEEP: Array<[string, unknown]> = [
  ['1000 levels deep, storable', nested(1000, 'leaf')],
  ['2000 levels deep, storable', nested(2000, ['4', 0])],
  ['1500 levels deep, U+0000 at the bottom', nested(1500, 'x\u0000')],
  ['2001 levels deep, Infinity at the bottom', nested(2001, Infinity)],
];

describe('parseSubmitJob: submitJobSchema without its copy of the workflow', () => {
  it('compiles both schemas (zod did not fall back to the runtime parser)', () => {
    expect(() => z.compile(submitJobSchema, { strict: true })).not.toThrow();
    expect(() => z.compile(submitJobSchemaForCheckedWorkflow, { strict: true })).not.toThrow();
  });

  it.each(VALID.map((body, i) => [i, body]))('parses valid body %i to what submitJobSchema gives', (_, body) => {
    const runtime = submitJobSchema.safeParse(body);
    const parsed = parseSubmitJob(body);
    expect(runtime.success).toBe(true);
    expect(parsed).toStrictEqual(runtime);
  });

  it('keeps a workflow as sent, not a copy, when zod would give the same value', () => {
    const parsed = parseSubmitJob({ workflow: WORKFLOW });
    expect(parsed.data!.workflow).toBe(WORKFLOW);
    // A node without inputs is given {} by zod: that one is zod's copy, the sent value untouched.
    const sent = { '1': { class_type: 'X' } };
    expect(parseSubmitJob({ workflow: sent }).data!.workflow).toStrictEqual({ '1': { class_type: 'X', inputs: {} } });
    expect(sent).toStrictEqual({ '1': { class_type: 'X' } });
  });

  it.each(INVALID.map((body, i) => [i, body]))('refuses invalid body %i with the issues submitJobSchema gives', (_, body) => {
    const runtime = submitJobSchema.safeParse(body);
    const parsed = parseSubmitJob(body);
    expect(runtime.success).toBe(false);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues).toStrictEqual(runtime.error!.issues);
  });

  it.each(DEEP)('gives submitJobSchema\'s verdict, value and issues on an input %s', (_, value) => {
    for (const body of [{ workflow: { '1': { class_type: 'X', inputs: { deep: value } } } }, { workflow: { '1': { class_type: 'X', inputs: {}, _meta: { title: 't', deep: value } } } }]) {
      const runtime = submitJobSchema.safeParse(body);
      const parsed = parseSubmitJob(body);
      expect(parsed.success).toBe(runtime.success);
      if (runtime.success) {
        expect(isDeepStrictEqual(parsed.data, runtime.data)).toBe(true);
        expect(parsed.data!.workflow).toBe(body.workflow);
      } else expect(parsed.error!.issues).toStrictEqual(runtime.error!.issues);
    }
  });

  it(`gives submitJobSchema's verdict, value and issues on ${BODIES} generated bodies, valid and not`, () => {
    const r = rng(SEED);
    const seen = { asParsed: 0, largeAsParsed: 0, valid: 0, invalid: 0 };
    for (let i = 0; i < BODIES; i++) {
      const body = bodyOf(r);
      const runtime = submitJobSchema.safeParse(body);
      const parsed = parseSubmitJob(body);
      const workflow = (body as { workflow?: unknown } | null)?.workflow;
      if (workflow !== undefined && isWorkflowAsParsed(workflow)) {
        seen.asParsed++;
        if (Object.keys(workflow).length > LARGE) seen.largeAsParsed++;
        // The checker's yes is the schema's yes, and zod's output is the value itself (key order aside).
        const zod = workflowSchema.safeParse(workflow);
        expect({ i, success: zod.success }).toEqual({ i, success: true });
        expect({ i, same: isDeepStrictEqual(zod.data, workflow) }).toEqual({ i, same: true });
        expect(Object.keys(zod.data!)).toEqual(Object.keys(workflow));
      }
      runtime.success ? seen.valid++ : seen.invalid++;
      expect({ i, success: parsed.success }).toEqual({ i, success: runtime.success });
      // node:util's deep equality, not jest's: jest takes an own `constructor` key (a node id) for the object's class.
      if (runtime.success) expect({ i, same: isDeepStrictEqual(parsed.data, runtime.data) }).toEqual({ i, same: true });
      else expect(parsed.error!.issues).toStrictEqual(runtime.error!.issues);
    }
    // The generator reaches both sides and the fast path is taken for most valid workflows.
    expect(seen.valid).toBeGreaterThan(BODIES / 10);
    expect(seen.invalid).toBeGreaterThan(BODIES / 10);
    expect(seen.asParsed).toBeGreaterThan(seen.valid / 2);
    expect(seen.largeAsParsed).toBeGreaterThan(10);
  });

  it('says yes only where the schema does, on generated workflows alone', () => {
    const r = rng(SEED + 1);
    let yes = 0;
    let large = 0;
    for (let i = 0; i < WORKFLOWS; i++) {
      const workflow = workflowOf(r);
      if (!isWorkflowAsParsed(workflow)) continue;
      yes++;
      if (Object.keys(workflow as object).length > LARGE) large++;
      const zod = workflowSchema.safeParse(workflow);
      expect({ i, success: zod.success }).toEqual({ i, success: true });
      expect({ i, same: isDeepStrictEqual(zod.data, workflow) }).toEqual({ i, same: true });
    }
    expect(yes).toBeGreaterThan(WORKFLOWS / 10);
    expect(large).toBeGreaterThan(5);
  });
});
