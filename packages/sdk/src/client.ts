import { endpoint } from './endpoint.js';
import { clientError } from './errors.js';
import { Transport, type FetchLike, type RetryOptions } from './http.js';
import { anySignal, sleep } from './signals.js';
import {
  isTerminalStatus,
  type ApiKey,
  type ApiKeyPage,
  type BatchJobResult,
  type BatchResult,
  type Artifact,
  type Backend,
  type Model,
  type ModelKind,
  type CreateApiKeyInput,
  type CreatedApiKey,
  type Health,
  type Job,
  type JobEventsPage,
  type JobPage,
  type ListJobsQuery,
  type RegisterBackendInput,
  type RotatedApiKey,
  type SubmitBatchInput,
  type SubmitJobInput,
  type WebhookDelivery,
  type Upload,
} from './types.js';
import { JobWatch, type WatchHandlers, type WatchOptions } from './watch.js';
import { globalWebSocket, type WebSocketConstructor } from './websocket.js';

export interface GantryClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8080`. Default in browsers: the page's origin. */
  url?: string;
  /** An API key (`Authorization: Bearer`); needs the scopes of the calls you make. */
  apiKey?: string;
  /** WebSocket implementation for `watch`/`waitFor`; default `globalThis.WebSocket` (Node 20: pass `ws`'s, or use @gantry/sdk/node). */
  WebSocket?: WebSocketConstructor;
  /** fetch implementation; default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Per-request timeout in ms (default 30 000; 0 disables). */
  timeoutMs?: number;
  /** Retries of idempotent calls on 429/503 (honouring Retry-After) and network errors. */
  retry?: RetryOptions;
  /** Extra headers on every request (e.g. a User-Agent in Node). */
  headers?: Record<string, string>;
}

/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Per-request timeout for this call (overrides the client's). */
  timeoutMs?: number;
}

export interface SubmitOptions extends CallOptions {
  /** `Idempotency-Key`: a repeat returns the first job. With it, a submit is retried like a GET. */
  idempotencyKey?: string;
}

export interface SubmitResult {
  job: Job;
  /** True when the API returned the job of an earlier submit with the same idempotency key. */
  replayed: boolean;
}

export interface SubmitBatchResult {
  /** Every job of the batch, in the order sent: id, status (`queued`, or `succeeded` when reused) and reusedFrom. */
  jobs: BatchJobResult[];
  /** True when the API returned the answer of an earlier batch with the same idempotency key. */
  replayed: boolean;
}

export interface WaitForOptions extends Omit<WatchOptions, 'since'> {
  /** Reject with a `TIMEOUT` GantryError after this long (default: no limit). */
  timeoutMs?: number;
  /** Handlers of the underlying watch (progress, reconnects...). */
  handlers?: WatchHandlers;
  /**
   * `stream` (default when a WebSocket implementation is available) or `poll`: `GET` the job
   * every `pollIntervalMs` (default 1000), as used without a WebSocket.
   */
  via?: 'stream' | 'poll';
  pollIntervalMs?: number;
}

/** An async iterable of jobs across pages; `.pages()` iterates the pages themselves. */
export interface JobList extends AsyncIterable<Job> {
  pages(): AsyncIterable<JobPage>;
}

/**
 * A typed client of the Gantry API, for Node and browsers. Every method throws GantryError (with
 * the API's problem+json `code`) or the abort reason of its `signal`.
 */
export class GantryClient {
  readonly url: string;
  private readonly transport: Transport;
  private readonly apiKey: string | undefined;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;

  constructor(options: GantryClientOptions = {}) {
    const url = options.url ?? (globalThis as { location?: { origin?: string } }).location?.origin;
    if (!url) throw new TypeError('GantryClient needs a `url` (e.g. http://127.0.0.1:8080)');
    if (!/^https?:\/\//i.test(url)) throw new TypeError(`GantryClient url must be http(s)://..., got ${url}`);
    const fetchImpl = options.fetch ?? (globalThis.fetch ? (input: string, init?: RequestInit) => globalThis.fetch(input, init) : undefined);
    if (!fetchImpl) throw new TypeError('No fetch implementation: pass the `fetch` option');
    this.url = url.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.WebSocketImpl = options.WebSocket ?? globalWebSocket();
    this.transport = new Transport({
      baseUrl: this.url,
      apiKey: options.apiKey,
      fetch: fetchImpl,
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: { retries: options.retry?.retries ?? 3, baseDelayMs: options.retry?.baseDelayMs ?? 250, maxDelayMs: options.retry?.maxDelayMs ?? 30_000 },
      headers: options.headers,
    });
  }

  // ---- jobs ----

  /** `POST /jobs`: queues a job. With `idempotencyKey`, a repeat returns the first job (`replayed`). */
  async submit(input: SubmitJobInput, options: SubmitOptions = {}): Promise<SubmitResult> {
    const headers: Record<string, string> = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {};
    const { data, response } = await this.transport.json<Job>(endpoint('createJob'), {
      body: input,
      headers,
      idempotent: options.idempotencyKey !== undefined,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return { job: expectJob(data), replayed: response.headers.get('idempotent-replayed') === 'true' };
  }

  /**
   * `POST /jobs/batch`: queues up to 1000 jobs (`BATCH_MAX_JOBS`) at once, all or none. When any job
   * is refused the call throws a GantryError `BATCH_INVALID` whose `errors` name each refused job
   * by its index (`BatchItemError[]`), and none was stored. With `idempotencyKey`, a repeat returns
   * the first answer (`replayed`) and the call is retried like a GET.
   */
  async submitBatch(input: SubmitBatchInput | SubmitJobInput[], options: SubmitOptions = {}): Promise<SubmitBatchResult> {
    const body: SubmitBatchInput = Array.isArray(input) ? { jobs: input } : input;
    const headers: Record<string, string> = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {};
    const { data, response } = await this.transport.json<BatchResult>(endpoint('createJobBatch'), {
      body,
      headers,
      idempotent: options.idempotencyKey !== undefined,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    if (!data || !Array.isArray(data.items) || data.items.length !== body.jobs.length) {
      throw clientError('BAD_RESPONSE', 'The API did not answer with one result per job of the batch');
    }
    return { jobs: data.items, replayed: response.headers.get('idempotent-replayed') === 'true' };
  }

  /** `GET /jobs/{id}`. A queued job also carries `queue` (position, estimated start). */
  async get(jobId: string, options: CallOptions = {}): Promise<Job> {
    return expectJob((await this.transport.json<Job>(endpoint('getJob', { id: jobId }), this.read(options))).data);
  }

  /** `GET /jobs`: one page, newest first. */
  async listPage(query: ListJobsQuery = {}, options: CallOptions = {}): Promise<JobPage> {
    const q = { status: query.status, limit: query.limit, cursor: query.cursor };
    return (await this.transport.json<JobPage>(endpoint('listJobs'), { ...this.read(options), query: q })).data;
  }

  /**
   * Every job (newest first), fetching pages as the iteration goes:
   * `for await (const job of client.list({ status: 'failed' })) ...`.
   */
  list(query: ListJobsQuery = {}, options: CallOptions = {}): JobList {
    const pages = async function* (this: GantryClient): AsyncGenerator<JobPage> {
      let cursor = query.cursor;
      for (;;) {
        const page = await this.listPage({ ...query, cursor }, options);
        yield page;
        if (!page.nextCursor) return;
        cursor = page.nextCursor;
      }
    }.bind(this);
    return {
      pages,
      async *[Symbol.asyncIterator]() {
        for await (const page of pages()) yield* page.items;
      },
    };
  }

  /** `POST /jobs/{id}/cancel`: a queued job is canceled at once; a running one shortly after. */
  async cancel(jobId: string, options: CallOptions = {}): Promise<Job> {
    return expectJob((await this.transport.json<Job>(endpoint('cancelJob', { id: jobId }), { signal: options.signal, timeoutMs: options.timeoutMs })).data);
  }

  /**
   * `POST /jobs/{id}/retry`: queues a new job with the input of a finished (failed, canceled or
   * succeeded) one; the new job's `retryOf` is `jobId`. With `idempotencyKey`, a repeat returns
   * the first new job (`replayed`).
   */
  async retry(jobId: string, options: SubmitOptions = {}): Promise<SubmitResult> {
    const headers: Record<string, string> = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {};
    const { data, response } = await this.transport.json<Job>(endpoint('retryJob', { id: jobId }), {
      headers,
      idempotent: options.idempotencyKey !== undefined,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return { job: expectJob(data), replayed: response.headers.get('idempotent-replayed') === 'true' };
  }

  /** `GET /jobs/{id}/events?since=`: persisted events after `since` (at most 1000 per call). */
  async events(jobId: string, options: CallOptions & { since?: number } = {}): Promise<JobEventsPage> {
    return (await this.transport.json<JobEventsPage>(endpoint('listJobEvents', { id: jobId }), { ...this.read(options), query: { since: options.since } })).data;
  }

  /**
   * Follows jobs live over the WebSocket stream (`'all'`: every job of the key's tenant). Reconnects
   * with backoff and resumes from the last sequence number per job; ends when all are terminal.
   */
  watch(jobIds: string | string[] | 'all', handlers: WatchHandlers = {}, options: WatchOptions = {}): JobWatch {
    return new JobWatch(jobIds, { streamUrl: this.streamUrl(), apiKey: this.apiKey, WebSocket: this.WebSocketImpl }, handlers, options);
  }

  /**
   * Resolves with the job (fresh from the API) once it is terminal: succeeded, failed or canceled.
   * A failed job resolves too: check `job.status` and `job.error`.
   */
  async waitFor(jobId: string, options: WaitForOptions = {}): Promise<Job> {
    const timeout = new AbortController();
    const timer = options.timeoutMs !== undefined ? setTimeout(() => timeout.abort(), options.timeoutMs) : undefined;
    const combined = anySignal([options.signal, timeout.signal]);
    try {
      if ((options.via ?? (this.WebSocketImpl ? 'stream' : 'poll')) === 'poll') return await this.poll(jobId, options.pollIntervalMs ?? 1000, combined.signal);
      const watch = this.watch(jobId, options.handlers, { ...options, signal: combined.signal });
      await watch.done;
      return await this.get(jobId, { signal: combined.signal });
    } catch (err) {
      if (timeout.signal.aborted && !options.signal?.aborted) throw clientError('TIMEOUT', `Job ${jobId} did not finish within ${options.timeoutMs} ms`);
      throw err;
    } finally {
      clearTimeout(timer);
      combined.dispose();
    }
  }

  /** GETs the job until it is terminal. */
  private async poll(jobId: string, everyMs: number, signal: AbortSignal): Promise<Job> {
    for (;;) {
      const job = await this.get(jobId, { signal });
      if (isTerminalStatus(job.status)) return job;
      await sleep(everyMs, signal);
    }
  }

  // ---- input images ----

  /**
   * `POST /uploads`: stores an input image (PNG, JPEG or WebP, told by its bytes) and returns it;
   * name it in a submit's `inputs` (`{ photo: { upload: upload.id } }`). The same bytes again
   * return the same upload. A `ReadableStream` is streamed (Node: `Readable.toWeb(createReadStream(f))`)
   * and not retried; bytes and Blobs are retried like other idempotent calls.
   */
  async upload(data: Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array>, options: CallOptions = {}): Promise<Upload> {
    const rawBody = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    return (await this.transport.json<Upload>(endpoint('createUpload'), { rawBody, idempotent: true, ...options })).data;
  }

  readonly uploads = {
    /** `GET /uploads/{id}`. */
    get: async (id: string, options: CallOptions = {}): Promise<Upload> =>
      (await this.transport.json<Upload>(endpoint('getUpload', { id }), this.read(options))).data,
    /** `DELETE /uploads/{id}`; refused (UPLOAD_IN_USE) while a queued or running job uses it. */
    delete: async (id: string, options: CallOptions = {}): Promise<void> => {
      await this.transport.send(endpoint('deleteUpload', { id }), { idempotent: true, ...options });
    },
  };

  // ---- artifacts ----

  /** An artifact's bytes (`artifact` from a job, or its URL/path). */
  async download(artifact: Artifact | string, options: CallOptions = {}): Promise<Uint8Array> {
    const response = await this.downloadResponse(artifact, options);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** An artifact as a stream (a web ReadableStream), for large outputs. */
  async downloadStream(artifact: Artifact | string, options: CallOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const response = await this.downloadResponse(artifact, options);
    if (!response.body) throw clientError('BAD_RESPONSE', 'The artifact response has no body');
    return response.body as ReadableStream<Uint8Array>;
  }

  /** The raw download response (2xx; content type, length and ETag in its headers). */
  async downloadResponse(artifact: Artifact | string, options: CallOptions = {}): Promise<Response> {
    const url = typeof artifact === 'string' ? artifact : artifact.url;
    return this.transport.send(url, { ...this.read(options), headers: { accept: '*/*' } });
  }

  // ---- fleet, keys, health ----

  /** `GET /models`: every model file the fleet holds, with the backends holding it; `kind` narrows it. */
  async models(options: CallOptions & { kind?: ModelKind } = {}): Promise<Model[]> {
    const { kind, ...call } = options;
    return (await this.transport.json<{ items: Model[] }>(endpoint('listModels'), { ...this.read(call), query: { kind } })).data.items;
  }

  readonly backends = {
    /** `GET /backends`. */
    list: async (options: CallOptions = {}): Promise<Backend[]> =>
      (await this.transport.json<{ items: Backend[] }>(endpoint('listBackends'), this.read(options))).data.items,
    /** `GET /backends/{id}` (with `probe.nodeTypes` and `probe.models`). */
    get: async (id: string, options: CallOptions = {}): Promise<Backend> =>
      (await this.transport.json<Backend>(endpoint('getBackend', { id }), this.read(options))).data,
    /** `POST /backends` (operator). */
    register: async (input: RegisterBackendInput, options: CallOptions = {}): Promise<Backend> =>
      (await this.transport.json<Backend>(endpoint('createBackend'), { body: input, ...options })).data,
    /** `POST /backends/{id}/drain` (operator): no new jobs; running ones finish. Idempotent. */
    drain: async (id: string, options: CallOptions = {}): Promise<Backend> =>
      (await this.transport.json<Backend>(endpoint('drainBackend', { id }), { idempotent: true, ...options })).data,
    /** `POST /backends/{id}/undrain` (operator). Idempotent. */
    undrain: async (id: string, options: CallOptions = {}): Promise<Backend> =>
      (await this.transport.json<Backend>(endpoint('undrainBackend', { id }), { idempotent: true, ...options })).data,
    /** `DELETE /backends/{id}` (operator); `force` even with jobs in flight. */
    remove: async (id: string, options: CallOptions & { force?: boolean } = {}): Promise<void> => {
      await this.transport.send(endpoint('deleteBackend', { id }), {
        query: { force: options.force ? 'true' : undefined },
        signal: options.signal,
        timeoutMs: options.timeoutMs,
      });
    },
  };

  readonly apiKeys = {
    /**
     * `POST /api-keys` (tenant-admin: keys of its own tenant, no operator keys; operator: any). The
     * secret `key` is in this answer only.
     */
    create: async (input: CreateApiKeyInput, options: CallOptions = {}): Promise<CreatedApiKey> =>
      (await this.transport.json<CreatedApiKey>(endpoint('createApiKey'), { body: input, ...options })).data,
    /**
     * `GET /api-keys` (tenant-admin): one page of the caller's tenant's keys, newest first (never
     * secrets); operator keys may name another `tenant`.
     */
    listPage: async (query: { limit?: number; cursor?: string; tenant?: string } = {}, options: CallOptions = {}): Promise<ApiKeyPage> =>
      (await this.transport.json<ApiKeyPage>(endpoint('listApiKeys'), { ...this.read(options), query: { limit: query.limit, cursor: query.cursor, tenant: query.tenant } })).data,
    /** Every key of the caller's tenant (or, for operator keys, of `tenant`), across pages. */
    list: (options: CallOptions & { tenant?: string } = {}): AsyncIterable<ApiKey> => {
      const listPage = this.apiKeys.listPage;
      return {
        async *[Symbol.asyncIterator]() {
          let cursor: string | undefined;
          for (;;) {
            const page = await listPage({ limit: 200, ...(cursor ? { cursor } : {}), ...(options.tenant ? { tenant: options.tenant } : {}) }, options);
            yield* page.items;
            if (!page.nextCursor) return;
            cursor = page.nextCursor;
          }
        },
      };
    },
    /** `DELETE /api-keys/{id}` (tenant-admin; operator keys for any tenant's and for operator keys): the key stops working at once (its WebSockets close with 4401). Idempotent. */
    revoke: async (id: string, options: CallOptions = {}): Promise<ApiKey | undefined> =>
      (await this.transport.json<ApiKey | undefined>(endpoint('revokeApiKey', { id }), { idempotent: true, ...options })).data,
    /** `POST /api-keys/{id}/rotate` (as revoke): a new secret; the old one works `graceSeconds` longer (default 0). */
    rotate: async (id: string, input: { graceSeconds?: number } = {}, options: CallOptions = {}): Promise<RotatedApiKey> =>
      (await this.transport.json<RotatedApiKey>(endpoint('rotateApiKey', { id }), { body: input, ...options })).data,
  };

  /** `GET /jobs/{id}/webhook-deliveries`: the job's webhook deliveries, oldest first. */
  async webhookDeliveries(jobId: string, options: CallOptions = {}): Promise<WebhookDelivery[]> {
    return (await this.transport.json<{ items: WebhookDelivery[] }>(endpoint('listJobWebhookDeliveries', { id: jobId }), this.read(options))).data.items;
  }

  /** `GET /health` (no key needed); a degraded API answers 503, returned here, not thrown. */
  async health(options: CallOptions = {}): Promise<Health> {
    return (await this.transport.json<Health>(endpoint('getHealth'), { ...this.read(options), acceptStatuses: [503] })).data;
  }

  /** The stream's URL (`ws(s)://.../api/v1/stream`). */
  streamUrl(): string {
    return `${this.url.replace(/^http/i, 'ws')}${endpoint('openStream').path}`;
  }

  private read(options: CallOptions) {
    return { signal: options.signal, timeoutMs: options.timeoutMs, idempotent: true };
  }
}

function expectJob(data: unknown): Job {
  if (!data || typeof data !== 'object' || typeof (data as Job).id !== 'string') throw clientError('BAD_RESPONSE', 'The API did not answer with a job');
  return data as Job;
}
