import { z } from 'zod';
import { operations, requestSchemas } from '@gantry/contract';
import { INT4_MAX, INT4_MIN, STORABLE_JSON, STORABLE_TEXT } from '@gantry/domain';

/**
 * Integers of request bodies that are not stored in an `integer` column (so int4 does not bound
 * them), each with the reason. Everything else must fit int4.
 */
const NOT_INT4_COLUMNS: Record<string, string> = {
  'txt2img.seed': 'stored inside the job\'s jsonb `workflow` column (numeric), not an int4 column',
  'img2img.seed': 'stored inside the job\'s jsonb `workflow` column (numeric), not an int4 column',
  'requirements.vramMb': 'stored inside the job\'s jsonb `requirements` column',
  'jobs[].txt2img.seed': 'a batch item: as txt2img.seed',
  'jobs[].img2img.seed': 'a batch item: as img2img.seed',
};

/** Request headers whose value is stored (the idempotency key, on the job row). */
const STORED_HEADERS = ['Idempotency-Key'];

interface Audit {
  /** Strings and free-form values must carry the storable checks (stored bodies and headers). */
  strings: boolean;
  findings: string[];
}

/**
 * Walks a zod schema: every string must carry STORABLE_TEXT and every free-form value
 * STORABLE_JSON (or sit inside a value that carries STORABLE_JSON), every integer must fit int4.
 * An unknown kind of schema is a finding too, so a new construct is taught here, not skipped.
 */
function audit(schema: z.ZodType, path: string, a: Audit): void {
  const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def;
  const checks: unknown[] = def.checks ?? [];
  if (checks.includes(STORABLE_JSON)) return;
  const child = (s: z.ZodType, p: string) => audit(s, p, a);
  switch (def.type) {
    case 'string':
      if (a.strings && !checks.includes(STORABLE_TEXT)) a.findings.push(`${path}: a stored string without STORABLE_TEXT (use storableText())`);
      return;
    case 'unknown':
    case 'any':
      if (a.strings) a.findings.push(`${path}: a stored free-form value without STORABLE_JSON (use storableJson())`);
      return;
    case 'number': {
      const n = schema as z.ZodNumber;
      const bounded = n.minValue !== null && n.maxValue !== null && n.minValue >= INT4_MIN && n.maxValue <= INT4_MAX;
      if (n.isInt && !bounded && !(path in NOT_INT4_COLUMNS)) a.findings.push(`${path}: an integer outside int4 (${n.minValue}..${n.maxValue})`);
      return;
    }
    case 'object':
      for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>)) child(value, path ? `${path}.${key}` : key);
      if (def.catchall && def.catchall._zod.def.type !== 'never') child(def.catchall, `${path}.*`);
      return;
    case 'record':
      child(def.keyType, `${path}.<key>`);
      child(def.valueType, `${path}.*`);
      return;
    case 'array':
      child(def.element, `${path}[]`);
      return;
    case 'tuple':
      (def.items as z.ZodType[]).forEach((item, i) => child(item, `${path}[${i}]`));
      if (def.rest) child(def.rest, `${path}[]`);
      return;
    case 'union':
      (def.options as z.ZodType[]).forEach((option) => child(option, path));
      return;
    case 'intersection':
      child(def.left, path);
      child(def.right, path);
      return;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      child(def.innerType, path);
      return;
    case 'pipe':
      child(def.in, path);
      child(def.out, path);
      return;
    case 'enum':
    case 'literal':
    case 'boolean':
    case 'null':
    case 'never':
    case 'transform':
      return;
    default:
      a.findings.push(`${path}: zod type "${def.type}" is not known to this audit; teach it`);
  }
}

function findingsOf(schema: z.ZodType, strings: boolean, root = ''): string[] {
  const a: Audit = { strings, findings: [] };
  audit(schema, root, a);
  return a.findings;
}

/**
 * What PostgreSQL can store is checked at the edge: every string and free-form JSON value of a
 * request body or stored header refuses U+0000 and unpaired surrogates, every integer fits its
 * column (docs/security.md#hostile-input).
 */
describe('values a request can store', () => {
  it('every body an operation accepts checks its strings, free-form values and integers', () => {
    const bodies = [...new Set(operations.flatMap((op) => (op.body ? [op.body.schema] : [])))];
    expect(bodies.length).toBeGreaterThanOrEqual(5);
    const findings = bodies.flatMap((name) => findingsOf(requestSchemas[name], true).map((f) => `${name}: ${f}`));
    expect(findings).toEqual([]);
  });

  it('every stored header and every integer query parameter is checked', () => {
    const findings = operations.flatMap((op) =>
      [
        ...Object.entries(op.headers ?? {})
          .filter(([name]) => STORED_HEADERS.includes(name))
          .flatMap(([name, h]) => findingsOf(h.schema, true, name)),
        // Query strings are not stored: only their integers reach a column (e.g. `since` compared with int4 `seq`).
        ...(op.query ? findingsOf(op.query, false) : []),
      ].map((f) => `${op.operationId}: ${f}`),
    );
    expect(findings).toEqual([]);
    expect(STORED_HEADERS.filter((name) => !operations.some((op) => op.headers?.[name]))).toEqual([]);
  });

  it('finds what it is meant to find', () => {
    const careless = z.object({
      name: z.string(),
      extra: z.unknown(),
      tags: z.array(z.string()),
      big: z.number().int(),
      loose: z.object({}).passthrough(),
    });
    expect(findingsOf(careless, true)).toEqual([
      'name: a stored string without STORABLE_TEXT (use storableText())',
      'extra: a stored free-form value without STORABLE_JSON (use storableJson())',
      'tags[]: a stored string without STORABLE_TEXT (use storableText())',
      `big: an integer outside int4 (${Number.MIN_SAFE_INTEGER}..${Number.MAX_SAFE_INTEGER})`,
      'loose.*: a stored free-form value without STORABLE_JSON (use storableJson())',
    ]);
  });
});
