import { canonicalJson } from './canonical-json';
import { seededRandom } from '@gantry/testing';

/** The builder as it was before the `JSON.stringify` fast path: the output must stay this, byte for byte. */
function reference(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + reference(value[i]);
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object).sort();
    let out = '{';
    let first = true;
    for (const key of keys) {
      const member = object[key];
      if (member === undefined) continue;
      out += `${first ? '' : ','}${JSON.stringify(key)}:${reference(member)}`;
      first = false;
    }
    return `${out}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const KEYS = ['a', 'b', 'B', 'seed', 'class_type', 'inputs', '_meta', '1', '2', '9', '10', '', 'é', '\u{1F600}', 'a"b', 'z\n', '\ud800', 'toString'];
const LEAVES: unknown[] = ['x', '', 'é"\\\u0001', '\ud800', 0, -0, 1.5, 1e21, -7, NaN, Infinity, true, false, null, undefined, () => 1, Symbol('s'), new Date(0)];

function randomValue(next: () => number, depth: number, sorted: boolean): unknown {
  const r = next();
  if (depth > 4 || r < 0.35) return LEAVES[Math.floor(next() * LEAVES.length)];
  if (r < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1, sorted));
  let keys = KEYS.filter(() => next() < 0.3);
  if (sorted) keys = keys.sort();
  const object: Record<string, unknown> = next() < 0.1 ? (Object.create(null) as Record<string, unknown>) : {};
  for (const key of keys) object[key] = randomValue(next, depth + 1, sorted && next() < 0.9);
  return object;
}

describe('canonicalJson', () => {
  it('writes every value exactly as the plain builder does, whether or not its keys are already sorted', () => {
    for (let seed = 1; seed <= 4000; seed++) {
      const next = seededRandom(seed);
      const value = randomValue(next, 0, next() < 0.7);
      expect([seed, canonicalJson(value)]).toEqual([seed, reference(value)]);
    }
  });

  it('does not take JSON.stringify for values it would write differently', () => {
    const withToJson = { a: 1, toJSON: () => 'other' };
    const inherited = Object.create({ b: 2 }) as Record<string, unknown>;
    inherited['a'] = 1;
    class Box {
      a = 1;
    }
    const deep = { a: { a: { a: { a: { a: { a: { a: { a: { a: { a: { b: 1, a: 2 } } } } } } } } } } };
    for (const value of [withToJson, { a: [withToJson] }, inherited, new Box(), [new Date(0)], { a: new Date(0) }, deep, [1, , 2], { a: { b: undefined } }, [undefined]]) {
      expect(canonicalJson(value)).toBe(reference(value));
    }
    expect(canonicalJson(withToJson)).toBe('{"a":1,"toJSON":null}');
    expect(canonicalJson({ '10': 1, '9': 2 })).toBe('{"10":1,"9":2}');
  });

  it('writes a workflow as the plain builder does', () => {
    const workflow = { '3': { class_type: 'KSampler', inputs: { cfg: 8, model: ['4', 0], seed: 5, steps: 20 } }, '10': { class_type: 'X', inputs: {}, _meta: { title: 'é' } } };
    expect(canonicalJson(workflow)).toBe(reference(workflow));
  });
});
