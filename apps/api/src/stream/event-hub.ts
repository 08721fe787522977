import { performance } from 'node:perf_hooks';
import { isTerminal, type JobStatus } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import type { Registry } from '@gantry/metrics';
import { eventsChannel, previewsChannel, type BusEvent, type BusPreview, type RedisClient } from '@gantry/queue';
import { streamMetrics } from '../metrics/stream-metrics.js';
import { FanoutQueue, type Delivery } from './fanout-queue.js';
import { textFrame } from './ws-frame.js';

/** One bus message as the sockets get it: parsed once, framed once, shared by every recipient. */
export interface HubEntry {
  kind: 'event' | 'preview';
  jobId: string;
  tenantId: string;
  /** The event's sequence number (0 for a preview). */
  seq: number;
  /** A terminal state event: the job's last. */
  terminal: boolean;
  /** Published after the job's terminal event was seen (out of order): no new follower wants it. */
  afterEnd: boolean;
  /** The complete WebSocket text frame. */
  frame: Buffer;
  /** Position in the hub's queue (merges one recipient's entries of several jobs in order). */
  order: number;
}

/** Something that receives fanned-out entries: a stream connection. */
export interface HubListener {
  /** This listener's entries of one round, in bus order; written to the socket at once. */
  deliver(entries: readonly HubEntry[]): void;
}

/** How the fan-out is cut up (defaults suit thousands of sockets per instance). */
export interface FanoutOptions {
  /** Where the slice durations go (gantry_ws_fanout_slice_seconds). */
  metrics?: Registry;
  /** Milliseconds for the slice budget (default performance.now). */
  now?: () => number;
  /** Sockets written per slice at most, and the time a slice may hold the event loop. */
  sliceSize?: number;
  sliceBudgetMs?: number;
  /** Entries per round at most, and their bytes (a socket may get them all at once: keep well under GANTRY_WS_MAX_BUFFER_BYTES). */
  maxBatch?: number;
  maxBatchBytes?: number;
  /** Queued entries above which the Redis subscription is paused. */
  maxPending?: number;
}

/** Jobs whose end the hub remembers, to recognise events published after it (per instance). */
const ENDED_JOBS = 10_000;

/**
 * One Redis subscription per API instance, fanned out in memory to the sockets that want each
 * event: by job id, and by tenant for `all` subscriptions. Every instance receives every event, so
 * a client may be connected to any of them. Each message is parsed and framed once for all of its
 * recipients, and delivered in rounds (FanoutQueue) that do not hold the event loop.
 */
export class EventHub {
  private readonly byJob = new Map<string, Set<HubListener>>();
  private readonly byTenant = new Map<string, Set<HubListener>>();
  /** Last sequence number of recently ended jobs (insertion order: oldest first). */
  private readonly ended = new Map<string, number>();
  private readonly queue: FanoutQueue<HubListener, HubEntry>;
  private order = 0;
  private readonly onMessage = (channel: string, message: string) => this.dispatch(channel, message);

  constructor(
    private readonly subscriber: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
    options: FanoutOptions = {},
  ) {
    const slice = options.metrics ? streamMetrics(options.metrics).fanoutSlice : undefined;
    this.queue = new FanoutQueue<HubListener, HubEntry>({
      plan: (batch) => this.plan(batch),
      deliver: (listener, entries) => {
        // One socket's failure must not stop the round for the others (nor the process).
        try {
          listener.deliver(entries);
        } catch (err) {
          this.logger.error({ err }, 'stream delivery failed');
        }
      },
      bytes: (entry) => entry.frame.length,
      now: options.now ?? (() => performance.now()),
      onSlice: slice ? (ms) => slice.observe(ms / 1000) : undefined,
      maxBatch: options.maxBatch ?? 256,
      maxBatchBytes: options.maxBatchBytes ?? 128 * 1024,
      sliceSize: options.sliceSize ?? 128,
      sliceBudgetMs: options.sliceBudgetMs ?? 5,
      maxPending: options.maxPending ?? 20_000,
      onPressure: (paused) => this.pressure(paused),
    });
  }

  async start(): Promise<void> {
    this.subscriber.on('message', this.onMessage);
    await this.subscriber.subscribe(eventsChannel(this.prefix), previewsChannel(this.prefix));
  }

  async stop(): Promise<void> {
    this.queue.stop();
    this.subscriber.off('message', this.onMessage);
    await this.subscriber.unsubscribe().catch(() => undefined);
  }

  addJob(jobId: string, listener: HubListener): void {
    add(this.byJob, jobId, listener);
  }

  removeJob(jobId: string, listener: HubListener): void {
    remove(this.byJob, jobId, listener);
  }

  addTenant(tenantId: string, listener: HubListener): void {
    add(this.byTenant, tenantId, listener);
  }

  removeTenant(tenantId: string, listener: HubListener): void {
    remove(this.byTenant, tenantId, listener);
  }

  /**
   * Parses and frames a bus message once, and queues it; delivery happens in the next round. An
   * events message is one event or, for a change with several, a JSON array of them in order.
   * With no socket on this instance nothing is parsed.
   */
  private dispatch(channel: string, message: string): void {
    if (this.byJob.size === 0 && this.byTenant.size === 0) return;
    let parsed: BusEvent | BusEvent[] | BusPreview;
    try {
      parsed = JSON.parse(message) as BusEvent | BusEvent[] | BusPreview;
    } catch {
      this.logger.warn({ channel }, 'unparseable bus message dropped');
      return;
    }
    if (channel === eventsChannel(this.prefix)) {
      if (Array.isArray(parsed)) for (const e of parsed) this.event(e);
      else this.event(parsed as BusEvent);
    } else {
      const p = parsed as BusPreview;
      if (!this.wanted(p)) return;
      const wire = JSON.stringify({ type: 'preview', jobId: p.jobId, node: p.node, mime: p.mime, data: p.data });
      this.push({ kind: 'preview', jobId: p.jobId, tenantId: p.tenantId, seq: 0, terminal: false, afterEnd: false, frame: textFrame(wire) });
    }
  }

  private event(e: BusEvent): void {
    if (!this.wanted(e)) return;
    const body = e.event as { type?: string; status?: JobStatus };
    const terminal = body.type === 'state' && body.status !== undefined && isTerminal(body.status);
    const endSeq = this.ended.get(e.jobId);
    if (terminal) this.remember(e.jobId, e.seq);
    const wire = JSON.stringify({ type: 'event', jobId: e.jobId, seq: e.seq, at: e.at, event: e.event, publishedAt: e.publishedAt });
    this.push({ kind: 'event', jobId: e.jobId, tenantId: e.tenantId, seq: e.seq, terminal, afterEnd: endSeq !== undefined && e.seq <= endSeq, frame: textFrame(wire) });
  }

  private wanted(m: { jobId: string; tenantId: string }): boolean {
    return this.byJob.has(m.jobId) || this.byTenant.has(m.tenantId);
  }

  private push(entry: Omit<HubEntry, 'order'>): void {
    this.queue.push({ ...entry, order: this.order++ });
  }

  private remember(jobId: string, seq: number): void {
    this.ended.delete(jobId);
    this.ended.set(jobId, seq);
    if (this.ended.size > ENDED_JOBS) this.ended.delete(this.ended.keys().next().value!);
  }

  /**
   * Who gets what of one round, in O(entries + recipients), not O(entries × recipients): every
   * `all` socket of a tenant shares that tenant's list, every socket of a job that job's list; a
   * socket following several jobs one by one gets them merged in queue order.
   */
  private plan(batch: readonly HubEntry[]): Delivery<HubListener, HubEntry>[] {
    const byTenant = new Map<string, HubEntry[]>();
    const byJob = new Map<string, HubEntry[]>();
    for (const entry of batch) {
      group(byTenant, entry.tenantId, entry);
      group(byJob, entry.jobId, entry);
    }
    const deliveries: Delivery<HubListener, HubEntry>[] = [];
    for (const [tenantId, entries] of byTenant) {
      for (const listener of this.byTenant.get(tenantId) ?? []) deliveries.push({ listener, entries });
    }
    const perJob = new Map<HubListener, HubEntry[]>();
    for (const [jobId, entries] of byJob) {
      const all = this.byTenant.get(entries[0]!.tenantId);
      for (const listener of this.byJob.get(jobId) ?? []) {
        if (all?.has(listener)) continue; // already has every entry of its tenant
        const before = perJob.get(listener);
        perJob.set(listener, before ? merge(before, entries) : entries);
      }
    }
    for (const [listener, entries] of perJob) deliveries.push({ listener, entries });
    return deliveries;
  }

  private pressure(paused: boolean): void {
    // Redis keeps what is not read (up to its pub/sub output limit; past it, it drops the
    // subscription and the gateway fills the gaps from PostgreSQL by sequence number).
    const stream = (this.subscriber as { stream?: { pause?: () => void; resume?: () => void } }).stream;
    if (paused) stream?.pause?.();
    else stream?.resume?.();
    this.logger.warn({ backlog: this.queue.queued }, paused ? 'stream fan-out behind: event subscription paused' : 'stream fan-out caught up: event subscription resumed');
  }
}

function group(map: Map<string, HubEntry[]>, key: string, entry: HubEntry): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

function merge(a: readonly HubEntry[], b: readonly HubEntry[]): HubEntry[] {
  return [...a, ...b].sort((x, y) => x.order - y.order);
}

function add(map: Map<string, Set<HubListener>>, key: string, listener: HubListener): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
}

function remove(map: Map<string, Set<HubListener>>, key: string, listener: HubListener): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(listener);
  if (set.size === 0) map.delete(key);
}
