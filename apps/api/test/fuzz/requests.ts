import { spoilBody, type BodyLimits } from './body-mutations';
import { jsonInstance, resolveRef } from './json-instance';
import { Rng } from '@gantry/testing';

type Json = Record<string, any>;

/**
 * The kinds of caller every operation is tried with: no key, a well-formed unknown key, and a key
 * of each scope (docs/security.md): `read`, `submit`, `tenant-admin` (its own tenant only) and
 * `operator` (made as a legacy `admin` key, which is stored as an operator key).
 */
export const CALLERS = ['none', 'bad-key', 'read', 'submit', 'tenant-admin', 'operator'] as const;
export type CallerName = (typeof CALLERS)[number];

export interface FuzzContext {
  /** Bearer keys of the callers that have one (`bad-key` is well-formed but unknown). */
  keys: Record<Exclude<CallerName, 'none'>, string>;
  /**
   * Real values for path parameters, by `<first segment after /api/v1>:<parameter>` (e.g.
   * `jobs:id`): a request that names a real job reaches code a random id never does.
   */
  pathValues: Record<string, string[]>;
  limits: BodyLimits;
}

/** One generated request, with all it takes to send it again. */
export interface FuzzRequest {
  index: number;
  operationId: string;
  /** The class of hostile input, e.g. `body.unstorable-text`, `path.broken-escape`. */
  kind: string;
  caller: CallerName;
  method: string;
  /** As sent: already %-encoded (or deliberately not). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** An operation of the OpenAPI document, as the fuzz needs it. */
export interface DocumentedOperation {
  operationId: string;
  method: string;
  template: string;
  pathParams: Json[];
  queryParams: Json[];
  bodySchema?: Json;
  bodyExamples: unknown[];
}

/** Every operation the document lists (the WebSocket stream too: as plain HTTP it must fail cleanly). */
export function documentedOperations(doc: Json): DocumentedOperation[] {
  const ops: DocumentedOperation[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      const params = ((op.parameters ?? []) as Json[]).map((p) => (p.$ref ? resolveRef(doc, p.$ref as string) : p));
      const media = op.requestBody?.content?.['application/json'] as Json | undefined;
      ops.push({
        operationId: op.operationId as string,
        method: method.toUpperCase(),
        template,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        ...(media ? { bodySchema: media.schema as Json } : {}),
        bodyExamples: Object.values((media?.examples ?? {}) as Record<string, { value?: unknown }>).map((e) => e.value),
      });
    }
  }
  return ops;
}

/** %-escapes that do not decode (or decode to no UTF-8): the router would throw on them. */
const BROKEN_ESCAPES = ['%ff', '%e0%80%af', '%', '%zz', '%c0%af', '%ed%a0%80', 'a%f', '%%', '%f0%9f%8e'];
/** Path values that decode but name nothing sensible. */
const ODD_PATH_VALUES = ['%00', '%20', 'x'.repeat(2000), '..', '%2e%2e', '%2f', '%F0%9F%8E%A8', '-1', '2147483648', '0', '%ef%bf%bf', 'null', '%5c', 'current', 'CURRENT', '019A7F4E-2C1B-7D3A-9C4E-5B6A7D8E9F01'];
/** Query values for integers: the docs promise 422 for anything but decimal digits within range. */
const BAD_INTEGERS = ['', '0x10', '-1', '2147483648', '9007199254740993', '1e3', '%201', '1.5', 'NaN', '99999999999999999999999', '%00', '+5', '0b11', '-0'];
const BAD_STRINGS = ['', '%00', '%ff', '%ed%a0%80', 'x'.repeat(3000), '%F0%9F%8E%A8', 'null', '[]', '{}'];
const ODD_QUERIES = ['&&=&a', '%ff=%ff', 'a[b]=1', '__proto__[x]=1', 'constructor=1', 'limit=1&limit=2', '=', '%00=%00', ';'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND', 'PURGE', 'SEARCH', 'REPORT', 'MKCOL', 'FOO'];

/** Request headers set to odd values: credentials, idempotency, request ids, revalidation, origins. */
function oddHeader(rng: Rng, ctx: FuzzContext): [string, string] {
  const key = ctx.keys.operator;
  return rng.pick<[string, string]>([
    ['authorization', rng.pick(['Bearer', 'Bearer ', `bearer ${key}`, `Bearer ${key} extra`, 'Basic Zm9vOmJhcg==', `Bearer ${'a'.repeat(8000)}`, `Bearer gty_${'\u00ff'.repeat(12)}_x`, `Bearer \t${key}`, 'Bearer gty__', `Bearer ${key},Bearer ${key}`])],
    ['idempotency-key', rng.pick(['', ' ', 'x'.repeat(300), '\u00ff\u00fe', 'a b', 'k\t', '%00'])],
    ['x-request-id', rng.pick(['', 'x'.repeat(500), '\u00ff', '../../etc/passwd', 'a b', '${jndi:x}'])],
    ['if-none-match', rng.pick(['*', 'W/""', '"', 'x'.repeat(5000), ',,,'])],
    ['origin', rng.pick(['null', 'https://evil.example', 'x'.repeat(3000), 'http://[::1'])],
    ['accept', rng.pick(['text/html', 'application/xml', '*/*;q=0', ''])],
    ['range', rng.pick(['bytes=0-1', 'bytes=-1', 'bytes=9999999999-', 'lines=1'])],
    ['if-match', rng.pick(['"nope"', '*', 'W/"x"'])],
    ['if-unmodified-since', rng.pick(['Thu, 01 Jan 1970 00:00:00 GMT', 'yesterday', '0'])],
    ['x-forwarded-for', rng.pick(['not-an-ip', '1.1.1.1, ::1', 'x'.repeat(1000)])],
  ]);
}

function plausible(doc: Json, param: Json, rng: Rng): string {
  return encodeURIComponent(String(jsonInstance(doc, (param.schema as Json | undefined) ?? {}, rng)));
}

/** The real values known for a path parameter of an operation, if any. */
function realValues(op: DocumentedOperation, name: string, ctx: FuzzContext): string[] {
  const resource = op.template.replace(/^\/api\/v1\//, '').split('/')[0]!;
  return ctx.pathValues[`${resource}:${name}`] ?? [];
}

interface Draft {
  method: string;
  params: Record<string, string>;
  query: string[];
  suffix: string;
  headers: Record<string, string>;
  body?: Buffer;
  kinds: string[];
}

function seedBody(doc: Json, op: DocumentedOperation, rng: Rng): unknown {
  if (op.bodyExamples.length > 0 && rng.chance(0.7)) return structuredClone(rng.pick(op.bodyExamples));
  if (op.bodySchema) return jsonInstance(doc, op.bodySchema, rng);
  return rng.pick<unknown>([{ a: 1 }, { workflow: { '1': { class_type: 'X' } } }, [1, 'two'], { nested: { deep: ['x'] } }]);
}

/** The operation's request as a client would send it: real or plausible parameters, a plausible body. */
function baseDraft(doc: Json, op: DocumentedOperation, caller: CallerName, ctx: FuzzContext, rng: Rng): Draft {
  const params: Record<string, string> = {};
  for (const p of op.pathParams) {
    const real = realValues(op, p.name as string, ctx);
    params[p.name as string] = real.length > 0 && rng.chance(0.6) ? encodeURIComponent(rng.pick(real)) : plausible(doc, p, rng);
  }
  const query = op.queryParams.filter(() => rng.chance(0.5)).map((p) => `${p.name as string}=${plausible(doc, p, rng)}`);
  const headers: Record<string, string> = { accept: '*/*' };
  if (caller !== 'none') headers.authorization = `Bearer ${ctx.keys[caller]}`;
  const draft: Draft = { method: op.method, params, query, suffix: '', headers, kinds: [] };
  if (op.bodySchema) {
    draft.body = Buffer.from(JSON.stringify(seedBody(doc, op, rng)));
    draft.headers['content-type'] = 'application/json';
  }
  return draft;
}

/** Applies one class of hostile input to a draft. */
function mutate(doc: Json, op: DocumentedOperation, draft: Draft, ctx: FuzzContext, rng: Rng, family: string): void {
  switch (family) {
    case 'body': {
      const spoilt = spoilBody(seedBody(doc, op, rng), rng, ctx.limits);
      draft.body = spoilt.body;
      delete draft.headers['content-type'];
      Object.assign(draft.headers, spoilt.headers);
      draft.kinds.push(spoilt.kind);
      return;
    }
    case 'path': {
      const names = Object.keys(draft.params);
      const value = rng.chance(0.6) ? rng.pick(BROKEN_ESCAPES) : rng.pick(ODD_PATH_VALUES);
      const name = names.length > 0 && rng.chance(0.8) ? rng.pick(names) : undefined;
      if (name !== undefined) draft.params[name] = rng.chance(0.5) ? value : `${draft.params[name] ?? ''}${value}`;
      else draft.suffix = rng.pick([`/${value}`, value, '/', '//', `;${value}`]);
      draft.kinds.push(BROKEN_ESCAPES.includes(value) ? 'path.broken-escape' : 'path.odd-value');
      return;
    }
    case 'query': {
      const integers = op.queryParams.filter((p) => p.schema?.type === 'integer');
      const strings = op.queryParams.filter((p) => p.schema?.type !== 'integer');
      if (integers.length > 0 && rng.chance(0.6)) {
        const p = rng.pick(integers);
        const bad = rng.pick(BAD_INTEGERS);
        draft.query.push(`${p.name as string}=${bad}`, ...(rng.chance(0.2) ? [`${p.name as string}=${bad}`] : []));
        draft.kinds.push('query.integer');
      } else if (strings.length > 0 && rng.chance(0.6)) {
        draft.query.push(`${rng.pick(strings).name as string}=${rng.pick(BAD_STRINGS)}`);
        draft.kinds.push('query.string');
      } else {
        draft.query.push(rng.pick(ODD_QUERIES));
        draft.kinds.push('query.odd');
      }
      return;
    }
    case 'method':
      draft.method = rng.pick(METHODS.filter((m) => m !== op.method));
      draft.kinds.push('method');
      return;
    default: {
      const [name, value] = oddHeader(rng, ctx);
      draft.headers[name] = value;
      draft.kinds.push(`header.${name}`);
    }
  }
}

function toRequest(op: DocumentedOperation, draft: Draft, caller: CallerName, index: number): FuzzRequest {
  const path = op.template.replace(/\{([^}]+)\}/g, (_m, name: string) => draft.params[name] ?? '') + draft.suffix;
  return {
    index,
    operationId: op.operationId,
    kind: draft.kinds.join('+'),
    caller,
    method: draft.method,
    path: draft.query.length > 0 ? `${path}?${draft.query.join('&')}` : path,
    headers: draft.headers,
    ...(draft.body ? { body: draft.body } : {}),
  };
}

/**
 * `perCaller` hostile requests for every operation of the document and every kind of caller,
 * from `seed`: each is the operation's plausible request with one class of hostile input (body,
 * path, query, method, header), sometimes two. The same seed gives the same requests.
 */
export function fuzzRequests(doc: Json, ctx: FuzzContext, seed: number, perCaller: number): FuzzRequest[] {
  const rng = new Rng(seed);
  const requests: FuzzRequest[] = [];
  for (const op of documentedOperations(doc)) {
    // The body is the richest surface where there is one; every request still carries some body sometimes (the parser runs everywhere).
    const families = [...(op.bodySchema ? ['body', 'body', 'body'] : ['body']), ...(op.pathParams.length ? ['path', 'path'] : ['path']), 'query', 'method', 'header'];
    for (const caller of CALLERS) {
      for (let i = 0; i < perCaller; i++) {
        const draft = baseDraft(doc, op, caller, ctx, rng);
        const first = rng.pick(families);
        mutate(doc, op, draft, ctx, rng, first);
        if (rng.chance(0.15)) mutate(doc, op, draft, ctx, rng, rng.pick(families.filter((f) => f !== first)));
        requests.push(toRequest(op, draft, caller, requests.length));
      }
    }
  }
  return requests;
}
