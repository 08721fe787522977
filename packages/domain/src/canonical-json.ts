/**
 * JSON with object keys sorted and `undefined` members left out, so equal values serialize
 * equally whatever their key order or whitespace: what request hashes and reuse keys are made of.
 * Its output must never change (stored reuse keys and request hashes are made of it); it is
 * written as one string builder rather than arrays of parts because a batch submit runs it over
 * a thousand workflows per request.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    // The default sort compares UTF-16 code units, as `<` does.
    const keys = Object.keys(object).sort();
    let out = '{';
    let first = true;
    for (const key of keys) {
      const member = object[key];
      if (member === undefined) continue;
      out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
      first = false;
    }
    return `${out}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
