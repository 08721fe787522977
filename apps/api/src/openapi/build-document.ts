import type { OperationSpec, ResponseHeaderName, ResponseSpec } from '@gantry/contract';
import { ERROR_STATUS, ERROR_TITLES, type ApiKeyScope, type ErrorCode } from '@gantry/domain';
import { componentSchemas, inlineSchema, schemaRef } from './schemas.js';

type Json = Record<string, unknown>;

export interface DocumentInfo {
  version: string;
}

const PROBLEM_JSON = 'application/problem+json';
const SECURITY_SCHEME = 'apiKey';

/**
 * The rate limit (apps/api/src/middleware/rate-limit.ts) covers everything Express serves under
 * /api/v1 except the health check; the WebSocket upgrade never reaches Express. The contract test
 * checks this rule against a rate-limited API.
 */
function isRateLimited(op: Pick<OperationSpec, 'path' | 'transport'>): boolean {
  return op.transport !== 'websocket' && op.path.startsWith('/api/v1/') && !/^\/api\/v1\/health(\/|$)/.test(op.path);
}

const RATE_LIMIT_HEADERS = ['RateLimit-Policy', 'RateLimit'] as const;

/**
 * Problems an operation can answer by what it is: any path can carry a malformed %-escape; the
 * JSON body parser runs on every request (a malformed, oversized, too deep, undecodable or
 * non-UTF-8 JSON body fails any route); keys and scopes are checked on every authenticated route
 * (against the database: 503 DATABASE_UNAVAILABLE when it cannot be reached), and what such a route
 * passes to the database may be refused as unstorable; bodies are validated; anything unexpected
 * is a 500.
 */
function impliedErrors(op: OperationSpec): ErrorCode[] {
  if (op.transport === 'websocket') return [];
  const codes: ErrorCode[] = ['MALFORMED_URI', 'MALFORMED_JSON', 'JSON_TOO_DEEP', 'MALFORMED_CONTENT_ENCODING', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'UNSUPPORTED_CONTENT_ENCODING'];
  // The key is looked up in PostgreSQL, so an authenticated route can always meet an outage.
  if (op.scope !== 'public') codes.push('UNAUTHENTICATED', 'FORBIDDEN', 'DATABASE_UNAVAILABLE', 'UNSTORABLE_VALUE');
  if (op.optionalSecurity) codes.push('UNAUTHENTICATED');
  if (op.body) codes.push('VALIDATION_FAILED');
  if (isRateLimited(op)) codes.push('RATE_LIMITED');
  codes.push('INTERNAL');
  return codes;
}

function problemCodesOf(op: OperationSpec): ErrorCode[] {
  return [...new Set([...impliedErrors(op), ...(op.errors ?? [])])];
}

const RESPONSE_HEADERS: Record<ResponseHeaderName | 'X-Request-Id' | 'Retry-After' | 'Accept-Encoding' | (typeof RATE_LIMIT_HEADERS)[number], Json> = {
  'X-Request-Id': {
    description: 'The request id (an incoming well-formed `X-Request-Id` is reused); quote it when reporting a problem',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  },
  Location: { description: 'The URL of the created resource', schema: { type: 'string' } },
  'Idempotent-Replayed': { description: '`true` when this is the answer to an earlier request with the same `Idempotency-Key`', schema: { type: 'string', enum: ['true'] } },
  ETag: { description: 'Entity tag of the representation', schema: { type: 'string' } },
  'Cache-Control': { description: 'Caching directives', schema: { type: 'string' } },
  'Content-Disposition': { description: '`inline` with the output\'s file name', schema: { type: 'string' } },
  'Accept-Ranges': { description: '`bytes`: a `Range` request gets `206` with that range', schema: { type: 'string', enum: ['bytes'] } },
  'Content-Range': {
    description: 'The range sent and the whole size (`bytes 0-99/2048`); with `416`, only the whole size (`bytes */2048`)',
    schema: { type: 'string', examples: ['bytes 0-99/2048'] },
  },
  'Retry-After': { description: 'Seconds to wait before retrying, when the server knows', schema: { type: 'integer', minimum: 0 } },
  'RateLimit-Policy': {
    description:
      'The rate-limit quotas this request is charged to (IETF draft-ietf-httpapi-ratelimit-headers, structured fields): `q` requests per `w` seconds, one member per policy (`key`, `submit` for job submissions, `ip` for callers without a valid key). Absent when no limit applies.',
    schema: { type: 'string', examples: ['"key";q=600;w=60, "submit";q=120;w=60'] },
  },
  RateLimit: {
    description: 'What is left of each quota: `r` requests remaining, `t` seconds until the quota is whole again.',
    schema: { type: 'string', examples: ['"key";r=598;t=1, "submit";r=119;t=1'] },
  },
  'Accept-Encoding': { description: 'The content codings a request body may use (with `415 UNSUPPORTED_CONTENT_ENCODING`)', schema: { type: 'string', examples: ['gzip, deflate, br'] } },
  'WWW-Authenticate': { description: 'The authentication scheme to use', schema: { type: 'string', examples: ['Bearer realm="metrics"'] } },
  Upgrade: { description: '`websocket`', schema: { type: 'string', const: 'websocket' } },
  'Sec-WebSocket-Protocol': { description: 'Always `gantry.v1` (the key protocol is never echoed)', schema: { type: 'string', const: 'gantry.v1' } },
};

function headerRef(name: string): Json {
  return { $ref: `#/components/headers/${name}` };
}

function exampleName(code: ErrorCode): string {
  return `Problem_${code}`;
}

/** One example problem per error code an operation answers (`components.examples`). */
function problemExamples(codes: ErrorCode[]): Json {
  return Object.fromEntries(
    codes.map((code) => [
      exampleName(code),
      {
        summary: `${code}: ${ERROR_TITLES[code]}`,
        value: {
          type: `urn:gantry:error:${code.toLowerCase()}`,
          title: ERROR_TITLES[code],
          status: ERROR_STATUS[code],
          detail: ERROR_TITLES[code],
          instance: '/api/v1/jobs',
          code,
          requestId: '3f1c2a9e-0b7d-4c55-9a43-2e8f6d1b7c10',
          ...(code === 'VALIDATION_FAILED' ? { errors: [{ path: 'workflow.3.class_type', message: 'Invalid input: expected string, received undefined', code: 'invalid_type' }] } : {}),
        },
      },
    ]),
  );
}

function successResponse(op: OperationSpec, spec: ResponseSpec): Json {
  // The upgrade handler answers before Express: no request id there.
  const headers: Json = op.transport !== 'websocket' ? { 'X-Request-Id': headerRef('X-Request-Id') } : {};
  for (const h of spec.headers ?? []) headers[h] = headerRef(h);
  if (isRateLimited(op)) for (const h of RATE_LIMIT_HEADERS) headers[h] = headerRef(h);
  const response: Json = { description: spec.description, headers };
  if (spec.schema) {
    response.content = { 'application/json': { schema: schemaRef(spec.schema) } };
  } else if (spec.content) {
    response.content = Object.fromEntries(Object.entries(spec.content).map(([type, schema]) => [type, { schema }]));
  }
  return response;
}

function problemResponses(op: OperationSpec, codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const headers: Json = { 'X-Request-Id': headerRef('X-Request-Id') };
    if (status === 429 || status === 503) headers['Retry-After'] = headerRef('Retry-After');
    if (list.includes('UNSUPPORTED_CONTENT_ENCODING')) headers['Accept-Encoding'] = headerRef('Accept-Encoding');
    if (status === 401 && op.optionalSecurity) headers['WWW-Authenticate'] = headerRef('WWW-Authenticate');
    if (isRateLimited(op)) for (const h of RATE_LIMIT_HEADERS) headers[h] = headerRef(h);
    out[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${ERROR_TITLES[c]}`).join('; '),
      headers,
      content: {
        [PROBLEM_JSON]: {
          schema: schemaRef('Problem'),
          examples: Object.fromEntries(list.map((c) => [c, { $ref: `#/components/examples/${exampleName(c)}` }])),
        },
      },
    };
  }
  return out;
}

/** Each property of a query object schema, as a parameter. */
function queryParameters(op: OperationSpec): Json[] {
  if (!op.query) return [];
  const schema = inlineSchema(op.query) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return {
      name,
      in: 'query',
      required: (schema.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function pathParameters(op: OperationSpec): Json[] {
  return Object.entries(op.pathParams ?? {}).map(([name, zodSchema]) => {
    const { description, ...schema } = inlineSchema(zodSchema);
    return { name, in: 'path', required: true, description: typeof description === 'string' ? description : name, schema };
  });
}

function headerParameters(op: OperationSpec): Json[] {
  return Object.entries(op.headers ?? {}).map(([name, h]) => {
    const { description: _d, ...schema } = inlineSchema(h.schema);
    return { name, in: 'header', required: h.required ?? false, description: h.description, schema };
  });
}

/** Which keys hold a scope, for the operation descriptions (packages/domain/src/scopes.ts). */
const SCOPE_HOLDERS: Record<ApiKeyScope, string> = {
  read: '`tenant-admin` and `operator` keys have it too',
  submit: '`tenant-admin` and `operator` keys have it too',
  'tenant-admin': 'for the key\'s own tenant; `operator` keys have it for every tenant',
  operator: 'operator keys only',
};

function operationObject(op: OperationSpec): Json {
  const scopeText =
    op.transport === 'websocket'
      ? 'The API key goes in the subprotocol or the first message, not in `Authorization`.'
      : op.optionalSecurity
        ? `No API key; the \`${op.optionalSecurity}\` bearer token when one is configured.`
        : op.scope === 'public'
          ? 'No API key needed.'
          : `Scope: \`${op.scope}\` (${SCOPE_HOLDERS[op.scope]}).`;
  const limitText = isRateLimited(op)
    ? 'Rate limited: `429 RATE_LIMITED` with `Retry-After` when a quota is spent; `RateLimit` and `RateLimit-Policy` tell what is left.'
    : undefined;
  const out: Json = {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    description: [op.description, scopeText, limitText].filter(Boolean).join('\n\n'),
    security: op.optionalSecurity ? [{}, { [op.optionalSecurity]: [] }] : op.scope === 'public' ? [] : [{ [SECURITY_SCHEME]: [op.scope] }],
    'x-scopes': op.scope === 'public' ? [] : [op.scope],
  };
  const parameters = [...pathParameters(op), ...queryParameters(op), ...headerParameters(op)];
  if (parameters.length) out.parameters = parameters;
  if (op.body) {
    out.requestBody = {
      required: op.body.required ?? true,
      content: { 'application/json': { schema: schemaRef(op.body.schema), ...(op.body.examples ? { examples: op.body.examples } : {}) } },
    };
  }
  if (op.rawBody) out.requestBody = { required: true, description: op.rawBody.description, content: op.rawBody.content };
  const responses: Record<string, Json> = {};
  for (const [status, spec] of Object.entries(op.responses)) responses[status] = successResponse(op, spec);
  for (const [status, response] of Object.entries(problemResponses(op, problemCodesOf(op)))) {
    if (responses[status]) throw new Error(`${op.operationId}: status ${status} is both a response and a problem`);
    responses[status] = response;
  }
  out.responses = responses;
  if (op.transport === 'websocket') out['x-websocket'] = true;
  return out;
}

const TAGS = [
  { name: 'Jobs', description: 'Submit render jobs, follow them, fetch their outputs.' },
  { name: 'Uploads', description: 'Input images for jobs: upload, read, delete (docs/api.md "Input images").' },
  { name: 'API keys', description: 'Keys belong to one tenant and carry scopes: `submit`, `read`, `tenant-admin` (the tenant\'s keys, settings and audit log), `operator` (the fleet and every tenant).' },
  { name: 'Backends', description: 'The GPU fleet: registry, health, drains.' },
  { name: 'Models', description: 'The model files the fleet holds (checkpoints, LoRAs, VAEs, upscalers, ControlNets, CLIP, UNet), learned by the health probes; jobs are routed to backends that hold theirs.' },
  { name: 'Tenants', description: 'Tenant settings (retention).' },
  { name: 'Audit', description: 'The log of administrative actions.' },
  { name: 'Operations', description: 'Health, readiness and metrics of the service, for orchestrators and Prometheus.' },
  { name: 'Stream', description: 'Live job events over a WebSocket.' },
  { name: 'Documentation', description: 'This contract and its docs page.' },
];

/** Builds the OpenAPI 3.1 document from the operation table and the zod schemas it names. */
export function buildOpenApiDocument(operations: readonly OperationSpec[], info: DocumentInfo): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const ids = new Set<string>();
  for (const op of operations) {
    if (ids.has(op.operationId)) throw new Error(`operationId ${op.operationId} is used twice`);
    ids.add(op.operationId);
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is declared twice`);
    item[op.method] = operationObject(op);
  }
  const usedTags = new Set(operations.map((o) => o.tag));
  const unknown = [...usedTags].filter((t) => !TAGS.some((tag) => tag.name === t));
  return {
    openapi: '3.1.1',
    info: {
      title: 'Gantry API',
      version: info.version,
      summary: 'Render orchestration for generative-AI work on GPU fleets',
      description:
        'Submit ComfyUI workflows (or txt2img parameters), follow them over HTTP or a WebSocket, fetch their outputs. Errors are RFC 9457 `application/problem+json` with a stable `code`. Every response carries `X-Request-Id`. Requests under `/api/v1` (but the health check) are rate limited per API key, per key for job submissions and per IP without a key (`RateLimit`, `RateLimit-Policy`, `429` with `Retry-After`). Browsers may call the API cross-origin only from the origins in `GANTRY_CORS_ORIGINS` (no credentials; preflights of other origins get `403`). The web dashboard at `/dashboard` is a UI for browsers built on these operations, not part of this contract.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: '/', description: 'This Gantry instance' }],
    tags: [...TAGS.filter((t) => usedTags.has(t.name)), ...unknown.map((name) => ({ name }))],
    security: [{ [SECURITY_SCHEME]: [] }],
    paths,
    components: {
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key: `Authorization: Bearer <key>`. Keys belong to one tenant and carry scopes: `submit`, `read`, `tenant-admin` (implies `submit` and `read`; acts on its own tenant only), `operator` (implies every scope; the fleet and every tenant; `admin` is its former name). Each operation lists the scope it needs.',
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: '`GANTRY_METRICS_TOKEN` (not an API key): `Authorization: Bearer <token>`, required by `/metrics` only when the token is set.',
        },
      },
      schemas: componentSchemas(),
      headers: RESPONSE_HEADERS,
      examples: problemExamples((Object.keys(ERROR_STATUS) as ErrorCode[]).filter((c) => operations.some((op) => problemCodesOf(op).includes(c)))),
    },
  };
}
