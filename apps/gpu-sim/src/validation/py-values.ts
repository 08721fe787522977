/**
 * ComfyUI is Python: its validation converts inputs with `int()`, `float()`, `str()`, `bool()`
 * and prints values with `str()`. These helpers reproduce what those calls accept and print for
 * JSON values, so the sim's error messages read like ComfyUI's.
 */

/** Python's `type(x).__name__` for a JSON value. */
function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'dict';
  return typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : Number.isInteger(v) ? 'int' : 'float';
}

/** Python's `repr()` of a JSON value. */
export function pyRepr(v: unknown): string {
  if (typeof v !== 'string') return pyStr(v);
  return v.includes("'") && !v.includes('"') ? `"${v}"` : `'${v.replace(/'/g, "\\'")}'`;
}

/** Python's `str()` of a JSON value. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : '-inf';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

/** How a converted number prints: an INT as `5`, a FLOAT as `5.0`. */
export function formatNumber(v: number, type: string): string {
  return type === 'FLOAT' && Number.isInteger(v) ? `${v}.0` : pyStr(v);
}

export type Conversion = { ok: true; value: unknown } | { ok: false; error: string };

const INT_LITERAL = /^\s*[+-]?\d+(_\d+)*\s*$/;
const FLOAT_LITERAL = /^[+-]?((\d+(_\d+)*)?\.?\d+(_\d+)*([eE][+-]?\d+)?|\d+\.|inf|infinity|nan)$/i;

/** Converts a literal input the way ComfyUI's `validate_inputs` does for INT, FLOAT, STRING and BOOLEAN. */
export function convertInput(type: string, v: unknown): Conversion {
  switch (type) {
    case 'INT':
      return toInt(v);
    case 'FLOAT':
      return toFloat(v);
    case 'STRING':
      return { ok: true, value: pyStr(v) };
    case 'BOOLEAN':
      // Python truthiness: None, 0, '' and empty containers are False.
      return { ok: true, value: !(v === null || v === undefined || v === 0 || v === '' || v === false || (typeof v === 'object' && Object.keys(v).length === 0)) };
    default:
      return { ok: true, value: v };
  }
}

function toInt(v: unknown): Conversion {
  if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0 };
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { ok: false, error: 'cannot convert float NaN to integer' };
    if (!Number.isFinite(v)) return { ok: false, error: 'cannot convert float infinity to integer' };
    return { ok: true, value: Math.trunc(v) };
  }
  if (typeof v === 'string') {
    return INT_LITERAL.test(v) ? { ok: true, value: Number.parseInt(v.replace(/_/g, ''), 10) } : { ok: false, error: `invalid literal for int() with base 10: ${pyRepr(v)}` };
  }
  return { ok: false, error: `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(v)}'` };
}

function toFloat(v: unknown): Conversion {
  if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0 };
  if (typeof v === 'number') return { ok: true, value: v };
  if (typeof v === 'string') {
    const s = v.trim();
    if (!FLOAT_LITERAL.test(s)) return { ok: false, error: `could not convert string to float: ${pyRepr(v)}` };
    const lower = s.toLowerCase().replace(/^[+]/, '');
    if (/^-?nan$/.test(lower)) return { ok: true, value: Number.NaN };
    if (/^-?inf(inity)?$/.test(lower)) return { ok: true, value: lower.startsWith('-') ? -Infinity : Infinity };
    return { ok: true, value: Number(s.replace(/_/g, '')) };
  }
  return { ok: false, error: `float() argument must be a string or a real number, not '${pyTypeName(v)}'` };
}
