/**
 * A small JSON Schema 2020-12 validator for the keywords the generated OpenAPI document uses, so
 * tests can check live responses against the document itself (what clients see) without a new
 * dependency. An unknown keyword is an error, never silently ignored.
 */
type Schema = Record<string, unknown> | boolean;

const ANNOTATIONS = new Set(['description', 'examples', 'example', 'default', 'title', 'deprecated', 'readOnly', 'writeOnly', '$comment']);

export interface SchemaIssue {
  path: string;
  message: string;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkFormat(format: string, value: string): boolean {
  switch (format) {
    case 'date-time':
      return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
    case 'uuid':
      return UUID.test(value);
    case 'uri':
      return URL.canParse(value);
    default:
      throw new Error(`json-schema-check: unsupported format "${format}"`);
  }
}

export class JsonSchemaChecker {
  constructor(private readonly root: Record<string, unknown>) {}

  /** Issues of `value` against `schema` (empty: valid). `$ref`s resolve within the root document. */
  check(schema: Schema, value: unknown, path = '$'): SchemaIssue[] {
    const issues: SchemaIssue[] = [];
    this.walk(schema, value, path, issues);
    return issues;
  }

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`json-schema-check: only local $refs are supported (${ref})`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      node = (node as Record<string, unknown> | undefined)?.[key];
    }
    if (node === undefined) throw new Error(`json-schema-check: unresolved $ref ${ref}`);
    return node as Schema;
  }

  private walk(schema: Schema, value: unknown, path: string, issues: SchemaIssue[]): void {
    if (schema === true) return;
    if (schema === false) {
      issues.push({ path, message: 'no value is allowed here' });
      return;
    }
    const fail = (message: string) => issues.push({ path, message });
    for (const [keyword, arg] of Object.entries(schema)) {
      if (ANNOTATIONS.has(keyword)) continue;
      switch (keyword) {
        case '$ref':
          this.walk(this.resolve(arg as string), value, path, issues);
          break;
        case 'type': {
          const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
          if (!types.some((t) => matchesType(value, t))) fail(`expected ${types.join(' or ')}, got ${typeOf(value)}`);
          break;
        }
        case 'enum':
          if (!(arg as unknown[]).some((v) => JSON.stringify(v) === JSON.stringify(value))) fail(`expected one of ${JSON.stringify(arg)}`);
          break;
        case 'const':
          if (JSON.stringify(arg) !== JSON.stringify(value)) fail(`expected ${JSON.stringify(arg)}`);
          break;
        case 'anyOf':
          if (!(arg as Schema[]).some((s) => this.check(s, value, path).length === 0)) fail('matches none of anyOf');
          break;
        case 'oneOf': {
          const matching = (arg as Schema[]).filter((s) => this.check(s, value, path).length === 0).length;
          if (matching !== 1) fail(`matches ${matching} of oneOf (exactly 1 needed)`);
          break;
        }
        case 'allOf':
          for (const s of arg as Schema[]) this.walk(s, value, path, issues);
          break;
        case 'minimum':
          if (typeof value === 'number' && value < (arg as number)) fail(`below minimum ${arg}`);
          break;
        case 'maximum':
          if (typeof value === 'number' && value > (arg as number)) fail(`above maximum ${arg}`);
          break;
        case 'exclusiveMinimum':
          if (typeof value === 'number' && value <= (arg as number)) fail(`not above ${arg}`);
          break;
        case 'exclusiveMaximum':
          if (typeof value === 'number' && value >= (arg as number)) fail(`not below ${arg}`);
          break;
        case 'multipleOf':
          if (typeof value === 'number' && value % (arg as number) !== 0) fail(`not a multiple of ${arg}`);
          break;
        case 'minLength':
          if (typeof value === 'string' && [...value].length < (arg as number)) fail(`shorter than ${arg}`);
          break;
        case 'maxLength':
          if (typeof value === 'string' && [...value].length > (arg as number)) fail(`longer than ${arg}`);
          break;
        case 'pattern':
          if (typeof value === 'string' && !new RegExp(arg as string, 'u').test(value)) fail(`does not match ${arg}`);
          break;
        case 'format':
          if (typeof value === 'string' && !checkFormat(arg as string, value)) fail(`not a valid ${arg}`);
          break;
        case 'minItems':
          if (Array.isArray(value) && value.length < (arg as number)) fail(`fewer than ${arg} items`);
          break;
        case 'maxItems':
          if (Array.isArray(value) && value.length > (arg as number)) fail(`more than ${arg} items`);
          break;
        case 'items':
          if (Array.isArray(value)) {
            const from = Array.isArray(schema.prefixItems) ? schema.prefixItems.length : 0;
            value.slice(from).forEach((v, i) => this.walk(arg as Schema, v, `${path}[${i + from}]`, issues));
          }
          break;
        case 'prefixItems':
          if (Array.isArray(value)) (arg as Schema[]).forEach((s, i) => i < value.length && this.walk(s, value[i], `${path}[${i}]`, issues));
          break;
        case 'required':
          if (typeOf(value) === 'object') {
            for (const key of arg as string[]) if (!Object.hasOwn(value as object, key)) fail(`missing required property "${key}"`);
          }
          break;
        case 'properties':
          if (typeOf(value) === 'object') {
            for (const [key, s] of Object.entries(arg as Record<string, Schema>)) {
              if (Object.hasOwn(value as object, key)) this.walk(s, (value as Record<string, unknown>)[key], `${path}.${key}`, issues);
            }
          }
          break;
        case 'additionalProperties':
          if (typeOf(value) === 'object') {
            const known = new Set(Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {}));
            for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
              if (known.has(key)) continue;
              if (arg === false) fail(`unexpected property "${key}"`);
              else this.walk(arg as Schema, v, `${path}.${key}`, issues);
            }
          }
          break;
        case 'propertyNames':
          if (typeOf(value) === 'object') {
            for (const key of Object.keys(value as object)) this.walk(arg as Schema, key, `${path}{${key}}`, issues);
          }
          break;
        default:
          throw new Error(`json-schema-check: unsupported keyword "${keyword}" at ${path}`);
      }
    }
  }
}
