import { isPlainObject } from '../prompt.js';

/** One item of FastAPI's 422 `{"detail": [...]}` (pydantic v1, which A1111 1.x runs on). */
export interface ValidationItem {
  loc: Array<string | number>;
  msg: string;
  type: string;
  ctx?: Record<string, unknown>;
}

/** Pydantic field types the A1111 models use (`str_list`: `list[str]`). */
export type FieldKind = 'str' | 'int' | 'float' | 'bool' | 'dict' | 'list' | 'str_list';

/** A model field: its type, default, and the numeric bounds the sim adds (A1111 itself only type-checks). */
export interface FieldSpec {
  kind: FieldKind;
  default: unknown;
  ge?: number;
  le?: number;
  multipleOf?: number;
}

/** A validated value, or FastAPI's `detail` items. */
export type Checked<T> = { ok: true; value: T } | { ok: false; detail: ValidationItem[] };

const BOOL_TRUE = new Set<unknown>([1, '1', 'on', 't', 'true', 'y', 'yes']);
const BOOL_FALSE = new Set<unknown>([0, '0', 'off', 'f', 'false', 'n', 'no']);
const INT_TEXT = /^\s*[+-]?\d+\s*$/;
const FLOAT_TEXT = /^\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)\s*$/i;

/** Pydantic v1's coercion for one value (`int("20")` is fine, `int("abc")` is not), or its error. */
export function coerce(kind: FieldKind, value: unknown, loc: Array<string | number>): Checked<unknown> {
  const fail = (msg: string, type: string): Checked<unknown> => ({ ok: false, detail: [{ loc, msg, type }] });
  switch (kind) {
    case 'str':
      if (typeof value === 'string') return { ok: true, value };
      // v1's str_validator turns numbers into strings (bool is an int in Python).
      if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value) };
      return fail('str type expected', 'type_error.str');
    case 'int':
      if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
      if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: Math.trunc(value) };
      if (typeof value === 'string' && INT_TEXT.test(value)) return { ok: true, value: Number.parseInt(value, 10) };
      return fail('value is not a valid integer', 'type_error.integer');
    case 'float':
      if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
      if (typeof value === 'number') return { ok: true, value };
      if (typeof value === 'string' && FLOAT_TEXT.test(value)) return { ok: true, value: Number(value.trim().replace(/^([+-]?)inf(inity)?$/i, '$1Infinity')) };
      return fail('value is not a valid float', 'type_error.float');
    case 'bool': {
      const v = typeof value === 'string' ? value.toLowerCase() : value;
      if (typeof v === 'boolean') return { ok: true, value: v };
      if (BOOL_TRUE.has(v)) return { ok: true, value: true };
      if (BOOL_FALSE.has(v)) return { ok: true, value: false };
      return fail('value could not be parsed to a boolean', 'type_error.bool');
    }
    case 'dict':
      return isPlainObject(value) ? { ok: true, value } : fail('value is not a valid dict', 'type_error.dict');
    case 'list':
      return Array.isArray(value) ? { ok: true, value } : fail('value is not a valid list', 'type_error.list');
    case 'str_list': {
      if (!Array.isArray(value)) return fail('value is not a valid list', 'type_error.list');
      const items = value.map((item, i) => coerce('str', item, [...loc, i]));
      const detail = items.flatMap((r) => (r.ok ? [] : r.detail));
      return detail.length ? { ok: false, detail } : { ok: true, value: items.map((r) => (r.ok ? r.value : null)) };
    }
  }
}

/** The sim's bounds, reported with pydantic v1's constrained-number errors. */
function checkBounds(spec: FieldSpec, value: number, loc: Array<string | number>): ValidationItem | null {
  if (spec.ge !== undefined && value < spec.ge) return { loc, msg: `ensure this value is greater than or equal to ${spec.ge}`, type: 'value_error.number.not_ge', ctx: { limit_value: spec.ge } };
  if (spec.le !== undefined && value > spec.le) return { loc, msg: `ensure this value is less than or equal to ${spec.le}`, type: 'value_error.number.not_le', ctx: { limit_value: spec.le } };
  if (spec.multipleOf !== undefined && value % spec.multipleOf !== 0) return { loc, msg: `ensure this value is a multiple of ${spec.multipleOf}`, type: 'value_error.number.not_multiple', ctx: { multiple_of: spec.multipleOf } };
  return null;
}

/**
 * Validates a JSON body against a model the way FastAPI does: not an object → one `type_error.dict`
 * at `["body"]`; otherwise every field in order, each error at `["body", field]`. Unknown keys are
 * ignored (pydantic's default). The fields are all `Optional` in A1111, so null means the default.
 */
export function validateModel(body: unknown, fields: Readonly<Record<string, FieldSpec>>): Checked<Record<string, unknown>> {
  if (!isPlainObject(body)) return { ok: false, detail: [{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }] };
  const value: Record<string, unknown> = {};
  const detail: ValidationItem[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    const raw = body[name];
    if (raw === undefined || raw === null) {
      value[name] = structuredClone(spec.default);
      continue;
    }
    const result = coerce(spec.kind, raw, ['body', name]);
    if (!result.ok) detail.push(...result.detail);
    else {
      const bound = typeof result.value === 'number' ? checkBounds(spec, result.value, ['body', name]) : null;
      if (bound) detail.push(bound);
      value[name] = result.value;
    }
  }
  return detail.length ? { ok: false, detail } : { ok: true, value };
}

/** FastAPI's error for a body that is absent or not JSON (`json.loads` failing). */
export function bodyError(err: unknown): ValidationItem[] {
  const message = err instanceof Error ? err.message : '';
  if (/end of JSON input/i.test(message)) return [{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }];
  const pos = Number(/position (\d+)/.exec(message)?.[1] ?? 0);
  return [{ loc: ['body', pos], msg: `Expecting value: line 1 column ${pos + 1} (char ${pos})`, type: 'value_error.jsondecode' }];
}
