/** A number Python holds as a float, so `json.dumps` writes `7.0` where JavaScript would write `7`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/**
 * Python's `json.dumps(obj)` with its defaults: `", "` and `": "` separators, non-ASCII escaped
 * as `\uXXXX`, floats marked with PyFloat keep their `.0`. A1111's `info` string is written this way.
 */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return pyFloatText(value.value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : pyFloatText(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`).join(', ')}}`;
  }
  return 'null';
}

/** `repr(float)` as json.dumps writes it (`NaN` and `Infinity` are its non-standard spellings). */
export function pyFloatText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v);
}
