import type { ClientMessage, ServerMessage } from '@gantry/contract';
import { routePath, STREAM_CLOSE, STREAM_KEY_PROTOCOL_PREFIX, STREAM_MAX_JOB_IDS, STREAM_PROTOCOL } from '@gantry/contract/zod-free';
import { clientError, GantryError } from './errors.js';
import { applyJobEvent } from './job-view.js';
import { abortReason, backoffDelay } from './signals.js';
import { isTerminalStatus, type Job, type JobEvent, type JobEventBody, type Preview } from './types.js';
import { frameText, isOpen, type WebSocketConstructor, type WebSocketLike } from './websocket.js';

/** What a watch yields (async iteration) or hands to its handlers. */
export type WatchMessage =
  /** The job's state when (re)subscribed; `lastSeq` is its latest event's sequence number. */
  | { type: 'snapshot'; jobId: string; job: Job; lastSeq: number }
  /** A new persisted event (never a duplicate: deduplicated by `seq`), with the job as it stands after it. */
  | { type: 'event'; jobId: string; seq: number; at: string; event: JobEventBody; job: Job }
  /** A preview image (only with `previews: true`). */
  | { type: 'preview'; jobId: string; preview: Preview }
  /** The socket closed; the watch reconnects after `delayMs` and resumes from the last sequence numbers. */
  | { type: 'reconnecting'; attempt: number; delayMs: number; code: number; reason: string };

export interface WatchHandlers {
  onSnapshot?(job: Job, lastSeq: number): void;
  /** Every new event, in order per job, with the job as it stands after it. */
  onEvent?(event: JobEvent, job: Job): void;
  onPreview?(preview: Preview): void;
  onReconnecting?(info: { attempt: number; delayMs: number; code: number; reason: string }): void;
  /** The server acknowledged the subscription (after each connect): live events flow from now on. */
  onSubscribed?(): void;
  /** A job reached a terminal state. */
  onTerminal?(job: Job): void;
  /** Every watched job is terminal (not called for `'all'`). */
  onDone?(jobs: Job[]): void;
  /** The watch stopped for good: bad key, unknown job, abort, or too many failed reconnects. */
  onError?(error: unknown): void;
  /** A message the server refused (not fatal), e.g. RATE_LIMITED. */
  onWarning?(error: GantryError): void;
}

export interface ReconnectOptions {
  /** Consecutive failed connection attempts before giving up (default 20). */
  maxAttempts?: number;
  /** Default 500 ms, doubled per consecutive failure, with jitter. */
  baseDelayMs?: number;
  /** Default 15 s. */
  maxDelayMs?: number;
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** Also receive preview images. */
  previews?: boolean;
  /**
   * Resume point: events after it are (re)played after the snapshot. A number for every job, or
   * per job id. Default: none, the snapshot and then live events.
   */
  since?: number | Record<string, number>;
  reconnect?: ReconnectOptions;
  /** App-level ping interval: a socket silent for two of them is presumed dead (default 25 s; 0 disables). */
  heartbeatMs?: number;
}

/** What a watch needs from the client. */
export interface StreamConfig {
  streamUrl: string;
  apiKey: string | undefined;
  WebSocket: WebSocketConstructor | undefined;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Messages kept for an iteration that has not started (a watch used with handlers only drops the oldest). */
const UNREAD_LIMIT = 1000;
/** A connection that stayed up this long resets the reconnect backoff. */
const STABLE_MS = 10_000;
/** Close codes after which reconnecting cannot help. */
const FATAL_CLOSES: Record<number, { status: number; code: string; detail: string }> = {
  [STREAM_CLOSE.UNAUTHENTICATED]: { status: 401, code: 'UNAUTHENTICATED', detail: 'The stream refused the API key (missing, unknown, revoked, or without the "read" scope)' },
  [STREAM_CLOSE.TOO_BIG]: { status: 0, code: 'STREAM_CLOSED', detail: 'The stream refused a message as too big' },
};

interface JobTrack {
  /** Highest sequence number delivered (the resume point); undefined before the first snapshot. */
  position: number | undefined;
  /** `lastSeq` of the latest snapshot: events up to it are already in `job`. */
  snapshotSeq: number;
  job: Job | undefined;
  terminal: boolean;
}

/**
 * A live subscription to jobs over `/api/v1/stream`: reconnects with backoff and jitter, resumes
 * from the last sequence number per job, drops duplicates, and ends once every job is terminal.
 * Use the handlers, `for await (const m of watch)`, or just `await watch.done`.
 */
export class JobWatch implements AsyncIterable<WatchMessage> {
  /** Resolves with the final jobs once all are terminal; rejects when the watch fails. */
  readonly done: Promise<Job[]>;
  private readonly tracks = new Map<string, JobTrack>();
  private readonly all: boolean;
  private ws: WebSocketLike | null = null;
  /** The current socket got `ready` (authenticated): subscriptions can be (re)sent on it. */
  private ready = false;
  private previews: boolean;
  /** Consecutive connections that failed or did not last (see STABLE_MS). */
  private failures = 0;
  /** When the current socket got `ready` (0: not yet). */
  private readyAt = 0;
  private stopped = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private lastMessageAt = 0;
  private resolveDone!: (jobs: Job[]) => void;
  private rejectDone!: (err: unknown) => void;
  private readonly queue: WatchMessage[] = [];
  /** Whether someone iterates; until then at most UNREAD_LIMIT messages are kept (handlers-only use stays flat). */
  private iterating = false;
  private wake: (() => void) | null = null;
  private outcome: { ok: true } | { ok: false; error: unknown } | null = null;
  private readonly onAbort = () => this.fail(abortReason(this.options.signal!));

  constructor(
    target: string | string[] | 'all',
    private readonly config: StreamConfig,
    private readonly handlers: WatchHandlers = {},
    private readonly options: WatchOptions = {},
  ) {
    this.done = new Promise<Job[]>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined); // a caller that only iterates or uses handlers must not see an unhandled rejection
    this.all = target === 'all';
    this.previews = options.previews ?? false;
    const ids = target === 'all' ? [] : [...new Set(Array.isArray(target) ? target : [target])].map((id) => id.toLowerCase());
    for (const id of ids) {
      const since = typeof options.since === 'number' ? options.since : options.since?.[id];
      this.tracks.set(id, { position: since, snapshotSeq: 0, job: undefined, terminal: false });
    }
    queueMicrotask(() => this.start(ids));
  }

  /** The jobs as they stand now (from the snapshot and every event since). */
  get jobs(): Job[] {
    return [...this.tracks.values()].flatMap((t) => (t.job ? [t.job] : []));
  }

  /** One job as it stands now. */
  job(jobId: string): Job | undefined {
    return this.tracks.get(jobId.toLowerCase())?.job;
  }

  /**
   * Turns preview images on or off for this watch. On a live socket the subscription is sent
   * again (resuming from the last sequence numbers, so no event is repeated or lost).
   */
  setPreviews(on: boolean): void {
    if (this.previews === on) return;
    this.previews = on;
    const ws = this.ws;
    if (ws && this.ready && isOpen(ws)) this.subscribe(ws);
  }

  /** Stops watching (resolves `done` with the jobs as they stand). */
  close(): void {
    if (this.stopped) return;
    this.finish({ ok: true });
    this.resolveDone(this.jobs);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchMessage> {
    this.iterating = true;
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.outcome) {
        if (!this.outcome.ok) throw this.outcome.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private start(ids: string[]): void {
    if (this.stopped) return;
    const bad = ids.find((id) => !UUID_RE.test(id));
    if (bad !== undefined) return this.fail(new GantryError({ status: 404, code: 'NOT_FOUND', title: 'Not found', detail: `No such job: ${bad}` }));
    if (!this.all && ids.length === 0) {
      this.finish({ ok: true });
      this.resolveDone([]);
      return;
    }
    if (!this.config.WebSocket) {
      return this.fail(clientError('NO_WEBSOCKET', 'No WebSocket implementation: pass the `WebSocket` option (in Node 20: `import { WebSocket } from "ws"`) or use @gantry/sdk/node'));
    }
    if (this.options.signal) {
      if (this.options.signal.aborted) return this.onAbort();
      this.options.signal.addEventListener('abort', this.onAbort, { once: true });
    }
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const protocols = [STREAM_PROTOCOL, ...(this.config.apiKey ? [`${STREAM_KEY_PROTOCOL_PREFIX}${this.config.apiKey}`] : [])];
    let ws: WebSocketLike;
    try {
      ws = new this.config.WebSocket!(this.config.streamUrl, protocols);
    } catch (err) {
      return this.fail(clientError('NETWORK_ERROR', `Cannot open ${this.config.streamUrl}: ${err instanceof Error ? err.message : String(err)}`, err));
    }
    this.ws = ws;
    this.ready = false;
    this.readyAt = 0;
    this.lastMessageAt = Date.now();
    ws.onmessage = (event: { data: unknown }) => {
      if (this.ws !== ws) return;
      this.lastMessageAt = Date.now();
      const text = frameText(event.data);
      if (text === null) return;
      let message: ServerMessage;
      try {
        message = JSON.parse(text) as ServerMessage;
      } catch {
        return;
      }
      try {
        this.onMessage(ws, message);
      } catch (err) {
        this.fail(err);
      }
    };
    ws.onclose = (event: { code?: number; reason?: string }) => {
      if (this.ws !== ws) return;
      this.onClosed(event.code ?? 1006, String(event.reason ?? ''));
    };
    ws.onerror = () => undefined; // a close always follows
    this.startHeartbeat(ws);
  }

  private startHeartbeat(ws: WebSocketLike): void {
    clearInterval(this.heartbeatTimer);
    const every = this.options.heartbeatMs ?? 25_000;
    if (every <= 0) return;
    this.heartbeatTimer = setInterval(() => {
      if (this.ws !== ws) return;
      if (Date.now() - this.lastMessageAt > every * 2) {
        this.onClosed(1006, 'no answer to heartbeat');
        try {
          ws.close();
        } catch {
          // already closing
        }
        return;
      }
      if (isOpen(ws)) send(ws, { type: 'ping', id: 'hb' });
    }, every);
    (this.heartbeatTimer as { unref?: () => void }).unref?.();
  }

  private onMessage(ws: WebSocketLike, m: ServerMessage): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.readyAt = Date.now();
        return this.subscribe(ws);
      case 'snapshot':
        return this.onSnapshot(m.job, Number(m.lastSeq));
      case 'event':
        return this.onEvent({ jobId: String(m.jobId), seq: Number(m.seq), at: String(m.at), event: m.event });
      case 'preview': {
        const preview: Preview = { jobId: String(m.jobId), node: m.node ?? null, mime: String(m.mime), data: String(m.data) };
        if (!this.previews || (!this.all && !this.tracks.has(preview.jobId))) return;
        this.handlers.onPreview?.(preview);
        return this.push({ type: 'preview', jobId: preview.jobId, preview });
      }
      case 'error': {
        const details = m.details as { jobId?: string } | undefined;
        const error = new GantryError({
          status: 0,
          code: String(m.code),
          title: 'Stream error',
          detail: String((m.message as string | undefined) ?? m.code),
          errors: m.details,
        });
        if (m.code === 'NOT_FOUND' && details?.jobId) {
          return this.fail(new GantryError({ status: 404, code: 'NOT_FOUND', title: 'Not found', detail: String(m.message), errors: m.details }));
        }
        this.handlers.onWarning?.(error);
        return;
      }
      case 'subscribed':
        this.handlers.onSubscribed?.();
        return;
      default:
        return; // unsubscribed, pong
    }
  }

  private subscribe(ws: WebSocketLike): void {
    const previews = { previews: this.previews };
    if (this.all) {
      send(ws, { type: 'subscribe', all: true, ...previews });
      return;
    }
    const open = [...this.tracks.entries()].filter(([, t]) => !t.terminal);
    for (let i = 0; i < open.length; i += STREAM_MAX_JOB_IDS) {
      const chunk = open.slice(i, i + STREAM_MAX_JOB_IDS);
      const sinceByJob: Record<string, number> = {};
      for (const [id, t] of chunk) if (t.position !== undefined) sinceByJob[id] = t.position;
      send(ws, { type: 'subscribe', jobIds: chunk.map(([id]) => id), ...(Object.keys(sinceByJob).length ? { sinceByJob } : {}), ...previews });
    }
  }

  private track(jobId: string): JobTrack | undefined {
    let t = this.tracks.get(jobId);
    if (!t && this.all) {
      t = { position: undefined, snapshotSeq: 0, job: undefined, terminal: false };
      this.tracks.set(jobId, t);
    }
    return t;
  }

  private onSnapshot(job: Job, lastSeq: number): void {
    const t = this.track(job.id);
    if (!t) return;
    t.job = job;
    t.snapshotSeq = lastSeq;
    // No resume point yet, or one past the job's history (a `since` too large): start from the snapshot.
    if (t.position === undefined || t.position > lastSeq) t.position = lastSeq;
    this.handlers.onSnapshot?.(job, lastSeq);
    this.push({ type: 'snapshot', jobId: job.id, job, lastSeq });
    if (isTerminalStatus(job.status) && t.position >= lastSeq) this.onTerminal(t);
  }

  private onEvent(record: JobEvent): void {
    const t = this.track(record.jobId);
    if (!t || !Number.isInteger(record.seq)) return;
    if (t.position !== undefined && record.seq <= t.position) return; // a duplicate (replay overlap)
    t.position = record.seq;
    // Events up to the snapshot's lastSeq are already part of the snapshot's job.
    if (t.job && record.seq > t.snapshotSeq) t.job = applyJobEvent(t.job, record);
    const job = t.job ?? placeholderJob(record);
    if (!t.job && this.all) t.job = job;
    this.handlers.onEvent?.(record, job);
    this.push({ type: 'event', jobId: record.jobId, seq: record.seq, at: record.at, event: record.event, job });
    if (record.event.type === 'state' && isTerminalStatus(record.event.status)) this.onTerminal(t);
    else if (t.job && isTerminalStatus(t.job.status) && record.seq >= t.snapshotSeq) this.onTerminal(t);
  }

  private onTerminal(t: JobTrack): void {
    if (t.terminal) return;
    t.terminal = true;
    if (t.job) this.handlers.onTerminal?.(t.job);
    if (this.all) {
      if (t.job) this.tracks.delete(t.job.id); // memory stays flat under `all`
      return;
    }
    if ([...this.tracks.values()].every((x) => x.terminal)) {
      const jobs = this.jobs;
      this.finish({ ok: true });
      this.handlers.onDone?.(jobs);
      this.resolveDone(jobs);
    }
  }

  private onClosed(code: number, reason: string): void {
    this.ws = null;
    clearInterval(this.heartbeatTimer);
    if (this.stopped) return;
    const fatal = FATAL_CLOSES[code];
    if (fatal) return this.fail(new GantryError({ status: fatal.status, code: fatal.code, title: 'Stream closed', detail: fatal.detail }));
    // A connection that lasted counts as a success: the backoff starts over. One that failed or
    // dropped soon after `ready` (a flapping server) counts as a failure, so the delays grow.
    if (this.readyAt > 0 && Date.now() - this.readyAt >= STABLE_MS) this.failures = 0;
    this.failures += 1;
    const r = this.options.reconnect ?? {};
    if (this.failures > (r.maxAttempts ?? 20)) {
      return this.fail(clientError('STREAM_CLOSED', `The stream closed (${code}${reason ? `: ${reason}` : ''}) and ${this.failures - 1} reconnects failed`));
    }
    const base = code === STREAM_CLOSE.RATE_LIMITED ? 5_000 : (r.baseDelayMs ?? 500);
    const delayMs = backoffDelay(this.failures - 1, base, Math.max(base, r.maxDelayMs ?? 15_000));
    const info = { attempt: this.failures, delayMs, code, reason };
    this.handlers.onReconnecting?.(info);
    this.push({ type: 'reconnecting', ...info });
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  private push(message: WatchMessage): void {
    if (!this.iterating && this.queue.length >= UNREAD_LIMIT) this.queue.shift();
    this.queue.push(message);
    this.wake?.();
    this.wake = null;
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.finish({ ok: false, error });
    this.handlers.onError?.(error);
    this.rejectDone(error);
  }

  private finish(outcome: { ok: true } | { ok: false; error: unknown }): void {
    this.stopped = true;
    this.outcome = outcome;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close(1000, 'done');
      } catch {
        // already closed
      }
    }
    this.wake?.();
    this.wake = null;
  }
}

/** Sends a message of the stream protocol (its type is the contract's). */
function send(ws: WebSocketLike, message: ClientMessage): void {
  ws.send(JSON.stringify(message));
}

/** A minimal job for an event of a job seen first through `all` (before any snapshot of it). */
function placeholderJob(record: JobEvent): Job {
  const self = routePath('getJob', { id: record.jobId });
  const base: Job = {
    id: record.jobId,
    kind: 'workflow',
    status: 'queued',
    priority: 0,
    progress: 0,
    attempts: 0,
    backend: null,
    requirements: null,
    metadata: null,
    timeoutSeconds: null,
    webhook: null,
    createdAt: record.at,
    startedAt: null,
    finishedAt: null,
    error: null,
    lastError: null,
    artifacts: [],
    retryOf: null,
    reusedFrom: null,
    links: { self, cancel: routePath('cancelJob', { id: record.jobId }), events: routePath('listJobEvents', { id: record.jobId }) },
  };
  return applyJobEvent(base, record);
}
