import type { Request } from 'express';
import type { z } from 'zod';
import { AppError } from '@gantry/domain';
import { requestSchemas, type OperationSpec, type RequestSchemaName } from '@gantry/contract';
import { parseInput, type SafeParser } from './validate.js';

/**
 * What a malformed path parameter answers, by the collection it names (`/jobs/{id}` → `jobs`): the
 * same 404 as an id that does not exist (ids are never guessable anyway). `null`: the handler
 * decides, because who may comes before what (a tenant name: another tenant's is 403 for a
 * non-operator key, malformed or not; resolveTenant).
 */
const MALFORMED_PARAM: Record<string, string | null> = {
  jobs: 'No such job',
  artifacts: 'No such artifact',
  uploads: 'No such upload',
  'api-keys': 'No such API key',
  backends: 'No such backend',
  docs: 'No such documentation asset',
  tenants: null,
};

/** How a refused body is named in its problem's detail ("The job is invalid"). */
const BODY_NAMES: Partial<Record<RequestSchemaName, string>> = {
  SubmitJobRequest: 'job',
  SubmitBatchRequest: 'batch',
  CreateApiKeyRequest: 'API key request',
  RotateApiKeyRequest: 'rotation request',
  CreateBackendRequest: 'backend',
  UpdateTenantRequest: 'tenant settings',
};

/** The detail of a 400 for a malformed declared request header. */
const HEADER_PROBLEMS: Record<string, string> = {
  'Idempotency-Key': 'Idempotency-Key must be 1-255 visible ASCII characters',
};

/** What a bound handler reads its input through: each part parsed with the catalog's schema on its first read. */
export interface InputReader {
  params(): Record<string, unknown>;
  query(): unknown;
  body(): unknown;
  header(name: string): unknown;
}

interface ParamRule {
  name: string;
  schema: z.ZodType;
  /** The 404's detail; null: passed on as sent. */
  notFound: string | null;
}

/** Each path parameter of `op` with what a malformed one answers; an unknown collection stops the API at start. */
function paramRules(op: OperationSpec): ParamRule[] {
  const segments = op.path.split('/');
  return Object.entries(op.pathParams ?? {}).map(([name, schema]) => {
    const collection = segments[segments.indexOf(`{${name}}`) - 1] ?? '';
    const notFound = MALFORMED_PARAM[collection];
    if (notFound === undefined) throw new Error(`${op.operationId}: no answer for a malformed {${name}} below /${collection} (add it to MALFORMED_PARAM)`);
    return { name, schema, notFound };
  });
}

/** A path parameter as sent, or parsed: a malformed one is not found. */
function paramOf(req: Request, rule: ParamRule): unknown {
  const raw = req.params[rule.name];
  const sent = typeof raw === 'string' ? raw : '';
  if (rule.notFound === null) return sent;
  const parsed = rule.schema.safeParse(sent);
  if (!parsed.success) throw new AppError('NOT_FOUND', rule.notFound);
  return parsed.data;
}

/**
 * The schema and name the body is parsed with: the catalog's, or the binding's own parser (a batch's
 * envelope; a job body's `submitJobParser`, the catalog's schema without its copy of the workflow).
 */
function bodyRule(op: OperationSpec, override: SafeParser<unknown> | undefined): { schema: SafeParser<unknown>; what: string; required: boolean } | undefined {
  if (!op.body) return undefined;
  const what = BODY_NAMES[op.body.schema];
  if (what === undefined) throw new Error(`${op.operationId}: no name for a refused ${op.body.schema} (add it to BODY_NAMES)`);
  return { schema: override ?? requestSchemas[op.body.schema], what, required: op.body.required !== false };
}

/** Whether the request carries a body at all (a length, or chunks). */
function hasBody(req: Request): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/** What one operation parses its input with, prepared at start. */
interface InputSpec {
  op: OperationSpec;
  params: ParamRule[];
  body: ReturnType<typeof bodyRule>;
}

/** Not read yet (a part can parse to `undefined`). */
const UNREAD: unique symbol = Symbol('unread');

/**
 * One request's input: each part parsed on its first read and kept (a part that throws is parsed
 * again, and throws again, at its next read). One object per request, its closures none.
 */
class RequestInput implements InputReader {
  private parsedParams: Record<string, unknown> | typeof UNREAD = UNREAD;
  private parsedQuery: unknown = UNREAD;
  private parsedBody: unknown = UNREAD;
  private headers?: Map<string, unknown>;

  constructor(
    private readonly spec: InputSpec,
    private readonly req: Request,
  ) {}

  params(): Record<string, unknown> {
    if (this.parsedParams === UNREAD) this.parsedParams = Object.fromEntries(this.spec.params.map((rule) => [rule.name, paramOf(this.req, rule)]));
    return this.parsedParams;
  }

  query(): unknown {
    if (this.parsedQuery === UNREAD) this.parsedQuery = this.spec.op.query ? parseInput(this.spec.op.query, this.req.query, 'query') : {};
    return this.parsedQuery;
  }

  body(): unknown {
    if (this.parsedBody === UNREAD) {
      const { body } = this.spec;
      this.parsedBody = body ? parseInput(body.schema, body.required ? this.req.body : (this.req.body ?? {}), body.what) : undefined;
    }
    return this.parsedBody;
  }

  header(name: string): unknown {
    this.headers ??= new Map();
    if (!this.headers.has(name)) this.headers.set(name, this.parseHeader(name));
    return this.headers.get(name);
  }

  private parseHeader(name: string): unknown {
    const spec = this.spec.op.headers?.[name];
    const raw = this.req.get(name);
    if (!spec || raw === undefined) return undefined;
    if (!spec.schema.safeParse(raw).success) throw new AppError('BAD_REQUEST', HEADER_PROBLEMS[name] ?? `The ${name} header is invalid`);
    return raw;
  }
}

/**
 * The input side of one bound operation, prepared at start: `checkMediaType` refuses a JSON body
 * sent as anything else (415, before the handler runs), `reader` gives the handler its parsed input.
 * Parsing on first read keeps each check where the handler puts it (a tenant is resolved, 403/404,
 * before its settings are parsed, 422), as the routes always answered.
 */
export function operationInput(op: OperationSpec, bodyOverride?: SafeParser<unknown>): { checkMediaType(req: Request): void; reader(req: Request): InputReader } {
  const spec: InputSpec = { op, params: paramRules(op), body: bodyRule(op, bodyOverride) };
  const { body } = spec;
  return {
    checkMediaType(req) {
      // A required body must be JSON; an optional one, when sent, too.
      if (body && (body.required || hasBody(req)) && !req.is('application/json')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
    },
    reader(req) {
      return new RequestInput(spec, req);
    },
  };
}
