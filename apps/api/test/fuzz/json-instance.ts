import type { Rng } from '@gantry/testing';

type Json = Record<string, any>;

/** Strings tried against a `pattern` before giving up on matching it (ids, names, tokens). */
const PATTERN_CANDIDATES = ['gpu0', 'fuzz', 'a', 'abc-1', 'render-a-012', 'x1', '0'];

/**
 * A plausible instance of a JSON Schema of the OpenAPI document ($refs resolved against it):
 * required properties always, optional ones sometimes, values within the declared bounds where
 * it can tell. Plausible, not always valid (a `pattern` it cannot meet, `oneOf` rules between
 * properties): it is the base the fuzz mutates, so that a mutation reaches past validation.
 */
export function jsonInstance(doc: Json, schema: Json, rng: Rng, depth = 0): unknown {
  if (schema.$ref) return jsonInstance(doc, resolveRef(doc, schema.$ref as string), rng, depth);
  if (Array.isArray(schema.examples) && schema.examples.length && rng.chance(0.7)) return rng.pick(schema.examples);
  if (Array.isArray(schema.enum)) return rng.pick(schema.enum);
  if ('const' in schema) return schema.const;
  const options = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (options?.length) return jsonInstance(doc, rng.pick(options), rng, depth + 1);
  const type = Array.isArray(schema.type) ? rng.pick(schema.type as string[]) : (schema.type as string | undefined);
  switch (type) {
    case 'object':
      return objectInstance(doc, schema, rng, depth);
    case 'array': {
      const min = (schema.minItems as number | undefined) ?? 0;
      const count = Math.min(rng.int(min, min + 2), (schema.maxItems as number | undefined) ?? Infinity);
      return Array.from({ length: count }, () => jsonInstance(doc, (schema.items as Json | undefined) ?? {}, rng, depth + 1));
    }
    case 'string':
      return stringInstance(schema, rng);
    case 'integer':
    case 'number': {
      const min = (schema.minimum as number | undefined) ?? 0;
      const max = Math.min((schema.maximum as number | undefined) ?? min + 100, min + 1000);
      return rng.int(Math.ceil(min), Math.floor(max));
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    default:
      // Free-form (`{}`): a small JSON value of any kind.
      return depth > 3 ? 'v' : rng.pick<unknown>(['text', 7, 1.5, true, null, ['a', 1], { k: 'v' }]);
  }
}

function objectInstance(doc: Json, schema: Json, rng: Rng, depth: number): Json {
  const out: Json = {};
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  for (const [name, prop] of Object.entries(properties)) {
    if (required.has(name) || rng.chance(0.5)) out[name] = jsonInstance(doc, prop, rng, depth + 1);
  }
  const extra = schema.additionalProperties;
  if (extra && typeof extra === 'object' && Object.keys(properties).length === 0) {
    for (let i = 0; i < rng.int(1, 3); i++) out[`${i + 1}`] = jsonInstance(doc, extra as Json, rng, depth + 1);
  }
  return out;
}

function stringInstance(schema: Json, _rng: Rng): string {
  if (schema.format === 'uri') return 'http://127.0.0.1:9/fuzz';
  if (schema.format === 'uuid') return '019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01';
  if (schema.format === 'date-time') return '2026-01-01T00:00:00.000Z';
  if (typeof schema.pattern === 'string') {
    const re = new RegExp(schema.pattern as string, 'u');
    const fits = PATTERN_CANDIDATES.find((c) => re.test(c));
    if (fits) return fits;
  }
  const min = (schema.minLength as number | undefined) ?? 1;
  const max = (schema.maxLength as number | undefined) ?? min + 12;
  return 'fuzz'.padEnd(Math.min(Math.max(min, 4), max), 'z').slice(0, Math.max(min, Math.min(4, max)));
}

export function resolveRef(doc: Json, ref: string): Json {
  const found = ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<any>((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  if (!found) throw new Error(`unresolved $ref ${ref}`);
  return found as Json;
}
