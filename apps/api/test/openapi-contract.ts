import { JsonSchemaChecker } from './openapi/json-schema-check';

type Json = Record<string, any>;

/**
 * Response headers that carry meaning a client acts on: when a response has one, the document must
 * declare it for that response (this is how the rate-limit rule of the document is checked live).
 */
const WATCHED_HEADERS = ['location', 'etag', 'retry-after', 'ratelimit', 'ratelimit-policy', 'www-authenticate', 'idempotent-replayed', 'content-disposition', 'accept-encoding'];

export interface ContractResult {
  operationId: string;
  issues: string[];
}

/**
 * Checks live responses against the OpenAPI document: the operation the request hit, its status
 * documented, the media type declared, the body valid against the declared schema.
 */
export class OpenApiContract {
  private readonly checker: JsonSchemaChecker;
  private readonly routes: { method: string; template: string; re: RegExp; literal: number; op: Json }[] = [];
  /** operationId → statuses seen. */
  readonly seen = new Map<string, Set<number>>();

  constructor(doc: Json) {
    this.checker = new JsonSchemaChecker(doc);
    for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
      const re = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, op] of Object.entries(item)) {
        this.routes.push({ method, template, re, literal: template.replace(/\{[^}]+\}/g, '').length, op });
      }
    }
  }

  /** The operation a request hits: templates may overlap, the most literal one wins. */
  operation(method: string, path: string): Json | undefined {
    const bare = path.split('?')[0]!;
    return this.routes
      .filter((r) => r.method === method.toLowerCase() && r.re.test(bare))
      .sort((a, b) => b.literal - a.literal)[0]?.op;
  }

  check(method: string, path: string, res: { status: number; headers: Headers; body: unknown }): ContractResult {
    const op = this.operation(method, path);
    if (!op) return { operationId: '?', issues: [`${method} ${path} is not in the document`] };
    const issues: string[] = [];
    const operationId = op.operationId as string;
    const seen = this.seen.get(operationId) ?? new Set<number>();
    seen.add(res.status);
    this.seen.set(operationId, seen);

    const response = op.responses[String(res.status)] ?? op.responses.default;
    if (!response) return { operationId, issues: [`${operationId}: status ${res.status} is not documented`] };
    if (!res.headers.get('x-request-id')) issues.push(`${operationId} ${res.status}: no X-Request-Id`);
    const declared = Object.keys((response.headers ?? {}) as Json).map((h) => h.toLowerCase());
    for (const header of WATCHED_HEADERS) {
      if (res.headers.has(header) && !declared.includes(header)) issues.push(`${operationId} ${res.status}: header ${header} is not documented`);
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = response.content as Record<string, Json> | undefined;
    if (!content) {
      const empty = res.body === '' || res.body === undefined || (Buffer.isBuffer(res.body) && res.body.length === 0);
      if (!empty) issues.push(`${operationId} ${res.status}: a body where the document declares none`);
      return { operationId, issues };
    }
    const media = Object.keys(content).find((m) => m === type || m === '*/*' || (m.endsWith('/*') && type.startsWith(m.slice(0, -1))));
    if (!media) return { operationId, issues: [...issues, `${operationId} ${res.status}: content type "${type}" is not one of ${Object.keys(content).join(', ')}`] };
    if (/json$/.test(media) && content[media]!.schema) {
      for (const issue of this.checker.check(content[media]!.schema, res.body)) issues.push(`${operationId} ${res.status}: ${issue.path}: ${issue.message}`);
    }
    return { operationId, issues };
  }
}
