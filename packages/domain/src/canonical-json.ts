/** A key JSON.stringify writes as it is between quotes: no quote, backslash, control character or surrogate. */
const PLAIN_KEY = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
/**
 * JSON with object keys sorted and `undefined` members left out, so equal values serialize
 * equally whatever their key order or whitespace: what request hashes and reuse keys are made of.
 * Its output must never change (stored reuse keys and request hashes are made of it); it is
 * written as one string builder rather than arrays of parts because a batch submit runs it over
 * a thousand workflows per request. For the same reason it leaves keys already in order unsorted,
 * quotes a key that needs no escape itself, and writes a scalar member without a call of its own
 * (the same output, ~30 % less time over a workflow: bench/README.md, "Batch submit").
 */
export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (value instanceof CanonicalText) return value.text;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      out += (i === 0 ? '' : ',') + memberJson(v);
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  // The default sort compares UTF-16 code units, as `<` does; keys are unique.
  let sorted = true;
  for (let i = 1; sorted && i < keys.length; i++) sorted = keys[i - 1]! < keys[i]!;
  if (!sorted) keys.sort();
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const member = object[key];
    if (member === undefined) continue;
    out += `${first ? '' : ','}${jsonKey(key)}:${memberJson(member)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * A part whose canonical JSON is already written (a reuse key's run form, which workflowRunJson
 * of reuse-key.ts writes without copying the workflow): canonicalJson writes `text` as it is. The
 * caller vouches that `text` is the canonical JSON of the value it stands for.
 */
export class CanonicalText {
  constructor(readonly text: string) {}
}

/** An object key as canonicalJson writes it (quoted; escaped only when it needs escaping). */
export function jsonKey(key: string): string {
  return PLAIN_KEY.test(key) ? `"${key}"` : JSON.stringify(key);
}

/** A member or element: a scalar without a call of canonicalJson's own (`undefined`, a function or a symbol as `null`). */
export function memberJson(value: unknown): string {
  return typeof value === 'object' && value !== null ? canonicalJson(value) : (JSON.stringify(value) ?? 'null');
}
