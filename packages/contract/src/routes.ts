import type { ApiKeyScope } from './scopes.js';

/**
 * The route table: every operation's method, path and scope, written once. The catalog
 * (`operations.ts`: schemas, responses, docs) takes them from here, the API binds its routes from
 * the catalog, and the SDK builds its requests from this table. Zod-free (no schema, no runtime
 * import), so a browser bundle takes it through `@gantry/contract/zod-free` without zod.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Route {
  method: HttpMethod;
  /** The full path, with `{name}` parameters: `/api/v1/jobs/{id}`. */
  path: string;
  /** The API key scope it needs, or `public` (no key). */
  scope: ApiKeyScope | 'public';
}

/** Operation id (stable: the OpenAPI `operationId`, SDKs name their methods after it) → route. */
export const ROUTES = {
  // Jobs
  createJob: { method: 'post', path: '/api/v1/jobs', scope: 'submit' },
  createJobBatch: { method: 'post', path: '/api/v1/jobs/batch', scope: 'submit' },
  listJobs: { method: 'get', path: '/api/v1/jobs', scope: 'read' },
  getJob: { method: 'get', path: '/api/v1/jobs/{id}', scope: 'read' },
  cancelJob: { method: 'post', path: '/api/v1/jobs/{id}/cancel', scope: 'submit' },
  retryJob: { method: 'post', path: '/api/v1/jobs/{id}/retry', scope: 'submit' },
  listJobEvents: { method: 'get', path: '/api/v1/jobs/{id}/events', scope: 'read' },
  listJobWebhookDeliveries: { method: 'get', path: '/api/v1/jobs/{id}/webhook-deliveries', scope: 'read' },
  getJobArtifact: { method: 'get', path: '/api/v1/jobs/{id}/artifacts/{artifactId}', scope: 'read' },
  // Uploads
  createUpload: { method: 'post', path: '/api/v1/uploads', scope: 'submit' },
  getUpload: { method: 'get', path: '/api/v1/uploads/{id}', scope: 'read' },
  getUploadContent: { method: 'get', path: '/api/v1/uploads/{id}/content', scope: 'read' },
  deleteUpload: { method: 'delete', path: '/api/v1/uploads/{id}', scope: 'submit' },
  // API keys
  createApiKey: { method: 'post', path: '/api/v1/api-keys', scope: 'tenant-admin' },
  listApiKeys: { method: 'get', path: '/api/v1/api-keys', scope: 'tenant-admin' },
  revokeApiKey: { method: 'delete', path: '/api/v1/api-keys/{id}', scope: 'tenant-admin' },
  rotateApiKey: { method: 'post', path: '/api/v1/api-keys/{id}/rotate', scope: 'tenant-admin' },
  // Backends
  listBackends: { method: 'get', path: '/api/v1/backends', scope: 'read' },
  createBackend: { method: 'post', path: '/api/v1/backends', scope: 'operator' },
  getBackend: { method: 'get', path: '/api/v1/backends/{id}', scope: 'read' },
  drainBackend: { method: 'post', path: '/api/v1/backends/{id}/drain', scope: 'operator' },
  undrainBackend: { method: 'post', path: '/api/v1/backends/{id}/undrain', scope: 'operator' },
  deleteBackend: { method: 'delete', path: '/api/v1/backends/{id}', scope: 'operator' },
  // Models
  listModels: { method: 'get', path: '/api/v1/models', scope: 'read' },
  // Tenants
  getTenant: { method: 'get', path: '/api/v1/tenants/{tenant}', scope: 'tenant-admin' },
  updateTenant: { method: 'patch', path: '/api/v1/tenants/{tenant}', scope: 'tenant-admin' },
  // Audit log
  listAuditEvents: { method: 'get', path: '/api/v1/audit-events', scope: 'tenant-admin' },
  // Operations
  getLiveness: { method: 'get', path: '/livez', scope: 'public' },
  getReadiness: { method: 'get', path: '/readyz', scope: 'public' },
  getMetrics: { method: 'get', path: '/metrics', scope: 'public' },
  getHealth: { method: 'get', path: '/api/v1/health', scope: 'public' },
  // Live stream (a WebSocket upgrade)
  openStream: { method: 'get', path: '/api/v1/stream', scope: 'public' },
  // The contract itself
  getOpenApiDocument: { method: 'get', path: '/api/v1/openapi.json', scope: 'public' },
  getApiDocs: { method: 'get', path: '/api/v1/docs', scope: 'public' },
  getApiDocsAsset: { method: 'get', path: '/api/v1/docs/{asset}', scope: 'public' },
} as const satisfies Record<string, Route>;

export type OperationId = keyof typeof ROUTES;

/** The `{name}` parameters of a path template, as a union of names. */
type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | ParamNames<Rest> : never;

/** The path parameters an operation takes: `{ id: string }` for `getJob`, `{}` for `listJobs`. */
export type PathParams<Id extends OperationId> = { [K in ParamNames<(typeof ROUTES)[Id]['path']>]: string };

/** The arguments after the id that an operation's path needs: `[{ id }]` for `getJob`, none for `listJobs`. */
export type PathParamArgs<Id extends OperationId> = keyof PathParams<Id> extends never ? [] : [params: PathParams<Id>];

/** A path template split once: the literal pieces around its `{name}` parameters (one more piece than names). */
interface CompiledPath {
  pieces: string[];
  names: string[];
}

const compiledPaths = new Map<OperationId, CompiledPath>();

function compiledPath(id: OperationId): CompiledPath {
  let compiled = compiledPaths.get(id);
  if (!compiled) {
    const path: string = ROUTES[id].path;
    compiled = { pieces: [], names: [] };
    let last = 0;
    for (const m of path.matchAll(/\{([A-Za-z0-9_]+)\}/g)) {
      compiled.pieces.push(path.slice(last, m.index));
      compiled.names.push(m[1]!);
      last = m.index + m[0].length;
    }
    compiled.pieces.push(path.slice(last));
    compiledPaths.set(id, compiled);
  }
  return compiled;
}

/**
 * The path of an operation with its parameters filled in, each URL-encoded:
 * `routePath('getJob', { id })` is `/api/v1/jobs/<id>`. Parameters are required exactly when
 * the path has some (checked by the compiler; a missing one also throws). Each template is split
 * once, not matched again for every path (views build several per job).
 */
export function routePath<Id extends OperationId>(id: Id, ...[params]: PathParamArgs<Id>): string {
  const { pieces, names } = compiledPath(id);
  const values = (params ?? {}) as Record<string, string | undefined>;
  let path = pieces[0]!;
  for (let i = 0; i < names.length; i++) {
    const value = values[names[i]!];
    if (value === undefined) throw new TypeError(`${id}: path parameter ${names[i]} is missing`);
    path += encodeURIComponent(value) + pieces[i + 1]!;
  }
  return path;
}
