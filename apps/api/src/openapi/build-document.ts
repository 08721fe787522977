import { ERROR_STATUS, ERROR_TITLES, type ErrorCode } from '@gantry/domain';
import type { OperationSpec, ResponseHeaderName, ResponseSpec } from './operation-spec.js';
import { componentSchemas, inlineSchema, schemaRef } from './schemas.js';

type Json = Record<string, unknown>;

export interface DocumentInfo {
  version: string;
}

const PROBLEM_JSON = 'application/problem+json';
const SECURITY_SCHEME = 'apiKey';

/**
 * Problems an operation can answer by what it is: the JSON body parser runs on every request (a
 * malformed or oversized JSON body fails any route), keys and scopes are checked on every
 * authenticated route, bodies are validated, and anything unexpected is a 500.
 */
function impliedErrors(op: OperationSpec): ErrorCode[] {
  if (op.transport === 'websocket') return [];
  const codes: ErrorCode[] = ['MALFORMED_JSON', 'PAYLOAD_TOO_LARGE'];
  if (op.scope !== 'public') codes.push('UNAUTHENTICATED', 'FORBIDDEN');
  if (op.body) codes.push('UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED');
  codes.push('INTERNAL');
  return codes;
}

function problemCodesOf(op: OperationSpec): ErrorCode[] {
  return [...new Set([...impliedErrors(op), ...(op.errors ?? [])])];
}

const RESPONSE_HEADERS: Record<ResponseHeaderName | 'X-Request-Id' | 'Retry-After', Json> = {
  'X-Request-Id': {
    description: 'The request id (an incoming well-formed `X-Request-Id` is reused); quote it when reporting a problem',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  },
  Location: { description: 'The URL of the created resource', schema: { type: 'string' } },
  'Idempotent-Replayed': { description: '`true` when this is the answer to an earlier request with the same `Idempotency-Key`', schema: { type: 'string', enum: ['true'] } },
  ETag: { description: 'Entity tag of the representation', schema: { type: 'string' } },
  'Cache-Control': { description: 'Caching directives', schema: { type: 'string' } },
  'Content-Disposition': { description: '`inline` with the output\'s file name', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before retrying, when the server knows', schema: { type: 'integer', minimum: 0 } },
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

function successResponse(spec: ResponseSpec, viaExpress: boolean): Json {
  // The upgrade handler answers before Express: no request id there.
  const headers: Json = viaExpress ? { 'X-Request-Id': headerRef('X-Request-Id') } : {};
  for (const h of spec.headers ?? []) headers[h] = headerRef(h);
  const response: Json = { description: spec.description, headers };
  if (spec.schema) {
    response.content = { 'application/json': { schema: schemaRef(spec.schema) } };
  } else if (spec.content) {
    response.content = Object.fromEntries(Object.entries(spec.content).map(([type, schema]) => [type, { schema }]));
  }
  return response;
}

function problemResponses(codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const headers: Json = { 'X-Request-Id': headerRef('X-Request-Id') };
    if (status === 429 || status === 503) headers['Retry-After'] = headerRef('Retry-After');
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

function operationObject(op: OperationSpec): Json {
  const scopeText =
    op.transport === 'websocket'
      ? 'The API key goes in the subprotocol or the first message, not in `Authorization`.'
      : op.scope === 'public'
        ? 'No API key needed.'
        : `Scope: \`${op.scope}\` (an \`admin\` key has every scope).`;
  const out: Json = {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    description: [op.description, scopeText].filter(Boolean).join('\n\n'),
    security: op.scope === 'public' ? [] : [{ [SECURITY_SCHEME]: [op.scope] }],
    'x-scopes': op.scope === 'public' ? [] : [op.scope],
  };
  const parameters = [...pathParameters(op), ...queryParameters(op), ...headerParameters(op)];
  if (parameters.length) out.parameters = parameters;
  if (op.body) {
    out.requestBody = {
      required: true,
      content: { 'application/json': { schema: schemaRef(op.body.schema), ...(op.body.examples ? { examples: op.body.examples } : {}) } },
    };
  }
  const responses: Record<string, Json> = {};
  for (const [status, spec] of Object.entries(op.responses)) responses[status] = successResponse(spec, op.transport !== 'websocket');
  for (const [status, response] of Object.entries(problemResponses(problemCodesOf(op)))) {
    if (responses[status]) throw new Error(`${op.operationId}: status ${status} is both a response and a problem`);
    responses[status] = response;
  }
  out.responses = responses;
  if (op.transport === 'websocket') out['x-websocket'] = true;
  return out;
}

const TAGS = [
  { name: 'Jobs', description: 'Submit render jobs, follow them, fetch their outputs.' },
  { name: 'API keys', description: 'Keys belong to one tenant and carry scopes: `submit`, `read`, `admin`.' },
  { name: 'Backends', description: 'The GPU fleet: registry, health, drains.' },
  { name: 'Operations', description: 'Health of the service.' },
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
        'Submit ComfyUI workflows (or txt2img parameters), follow them over HTTP or a WebSocket, fetch their outputs. Errors are RFC 9457 `application/problem+json` with a stable `code`. Every response carries `X-Request-Id`.',
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
            'An API key: `Authorization: Bearer <key>`. Keys belong to one tenant and carry scopes (`submit`, `read`, `admin`; admin implies the others); each operation lists the scope it needs.',
        },
      },
      schemas: componentSchemas(),
      headers: RESPONSE_HEADERS,
      examples: problemExamples((Object.keys(ERROR_STATUS) as ErrorCode[]).filter((c) => operations.some((op) => problemCodesOf(op).includes(c)))),
    },
  };
}
