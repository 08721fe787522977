import type { z } from 'zod';
import type { ErrorCode } from './error-codes.js';
import type { RequestSchemaName, ResponseSchemaName } from './named-schemas.js';
import type { HttpMethod, Route } from './routes.js';

/** Response headers the document defines once (`components.headers`). */
export type ResponseHeaderName =
  | 'Location'
  | 'Idempotent-Replayed'
  | 'ETag'
  | 'Cache-Control'
  | 'Content-Disposition'
  | 'Accept-Ranges'
  | 'Content-Range'
  | 'Upgrade'
  | 'Sec-WebSocket-Protocol'
  | 'WWW-Authenticate'
  | 'Retry-After';

/** Security schemes besides API keys. */
type OtherSecurity = 'metricsToken';

export interface ResponseSpec {
  description: string;
  /** A JSON body with this named schema. */
  schema?: ResponseSchemaName;
  /** Or any other body: media type → JSON Schema (e.g. bytes, HTML, JavaScript). */
  content?: Record<string, Record<string, unknown>>;
  headers?: readonly ResponseHeaderName[];
}

interface HeaderParamSpec {
  schema: z.ZodType;
  required?: boolean;
  description: string;
}

/**
 * One operation of the API: one entry per route, and all the document says about it comes from
 * here and from the zod schemas it names. Adding a route = adding its method, path and scope to
 * `ROUTES` (routes.ts) and an entry to `operations` that spreads `route(id)`.
 */
export interface OperationSpec {
  method: HttpMethod;
  /** The full OpenAPI path, with `{name}` parameters: `/api/v1/jobs/{id}`. */
  path: string;
  /** Stable: SDKs name their methods after it. The catalog's are the keys of `ROUTES` (routes.ts). */
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** The API key scope it needs, or `public` (no key). */
  scope: Route['scope'];
  /**
   * A `public` operation optionally guarded by another bearer token (the /metrics token, when
   * configured): the document lists "none" and this scheme as alternatives.
   */
  optionalSecurity?: OtherSecurity;
  pathParams?: Record<string, z.ZodType>;
  /** The zod object the route parses `req.query` with; each property becomes a parameter. */
  query?: z.ZodType;
  headers?: Record<string, HeaderParamSpec>;
  /** A JSON body validated with this named request schema (415/400/413/422 are implied). */
  body?: {
    schema: RequestSchemaName;
    /** Default true; false: the body may be left out (its defaults apply). */
    required?: boolean;
    examples?: Record<string, { summary: string; value: unknown }>;
  };
  /** A body that is not JSON (uploads): media type → JSON Schema; always required. */
  rawBody?: { description: string; content: Record<string, Record<string, unknown>> };
  /** Success (and other non-problem) responses by status. */
  responses: Record<number, ResponseSpec>;
  /**
   * Problem responses beyond the implied ones (401 and 403 with a scope; 400, 413, 415 and
   * VALIDATION_FAILED with a body; 429 under the rate limit; 500 always).
   */
  errors?: readonly ErrorCode[];
  /** Not an Express route: served by the HTTP server's upgrade handler (the WebSocket stream). */
  transport?: 'websocket';
}
