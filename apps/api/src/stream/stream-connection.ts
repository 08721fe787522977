import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  AppError,
  clientMessageSchema,
  STREAM_CLOSE,
  STREAM_PROTOCOL,
  systemClock,
  toAppError,
  type ClientMessage,
  type Clock,
  type ClockTimer,
  type SubscribeMessage,
} from '@gantry/domain';
import { listJobEvents, readTenantJobSnapshot } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import type { ApiDeps } from '../context.js';
import { streamMetrics } from '../metrics/stream-metrics.js';
import { authenticate, hasScope, type Principal } from '../auth/authenticate.js';
import { jobView } from '../services/job-view.js';
import { viewLinks, viewsPresign } from '../services/presign.js';
import type { ActiveSnapshot } from './active-snapshot.js';
import type { CoalescedReads, ReadResult } from './coalesced-reads.js';
import type { EventHub, HubEntry, HubListener } from './event-hub.js';
import type { HeartbeatTarget } from './heartbeat.js';
import { JobCursor, type Outbound } from './job-cursor.js';
import type { SocketQuota } from './socket-quota.js';
import type { StreamOptions } from './stream-options.js';
import { TokenBucket } from './token-bucket.js';
import { joinedFrames, textFrame } from './ws-frame.js';

const REPLAY_PAGE = 500;

/**
 * Jobs an `all` socket follows at once at most (each a cursor). A job's cursor goes when its end
 * was sent; this bounds the rest (jobs whose end never came over the bus): past it, the oldest
 * idle one goes, and that job, if it goes on, is followed again from its next event.
 */
const MAX_FOLLOWED_BY_ALL = 1000;

/**
 * Live events an `all` socket holds at most while it waits for its snapshots (as a cursor holds
 * while it catches up, JobCursor's maxBuffered): past it, the socket is dropped as a slow consumer.
 * Counted, not measured against the send buffer: nothing is written while the socket waits.
 */
const MAX_HELD_EVENTS = 10_000;

/**
 * The job ids a (un)subscribe names, each once (UUIDs compare without case, as in PostgreSQL): a
 * job listed twice in one message is one subscription (one snapshot, one replay), so a small
 * message cannot multiply the work.
 */
function idsOf(message: { jobId?: string | undefined; jobIds?: string[] | undefined }): string[] {
  return [...new Set((message.jobId ? [message.jobId] : (message.jobIds ?? [])).map((id) => id.toLowerCase()))];
}

/** Whether a socket's frames of a round are all of the round's entries, in order. */
function sameFrames(frames: readonly Buffer[], entries: readonly HubEntry[]): boolean {
  for (let i = 0; i < frames.length; i++) if (frames[i] !== entries[i]!.frame) return false;
  return true;
}

/** A ping frame from the server: 2 header bytes, no payload (a little slack). */
const PING_FRAME_BYTES = 16;

/** One client socket: authentication, subscriptions, ordered delivery, limits. */
export class StreamConnection implements HubListener, HeartbeatTarget {
  principal: Principal | null = null;
  alive = true;
  private readonly cursors = new Map<string, JobCursor>();
  /** Cursors made for jobs seen under `all` (not subscribed one by one): dropped when the job ends. */
  private readonly followedByAll = new Set<string>();
  private all = false;
  private previews = false;
  private readonly bucket: TokenBucket;
  private dropped = 0;
  /** Bytes of this socket the kernel had taken at the heartbeat's last sweep (draining). */
  private dispatchedAtSweep = 0;
  /** During a hub round: the frames this socket gets, written together when the round is done. */
  private round: Buffer[] | null = null;
  private roundBytes = 0;
  /**
   * While an `all` subscription waits for its snapshots: the events of the hub's rounds it got
   * meanwhile (the hub's shared lists when a round is all events, else this socket's own), delivered
   * once the snapshots are out, and how many (previews are not held: they are not stored, and stale
   * by then).
   */
  private held: (readonly HubEntry[])[] | null = null;
  private heldCount = 0;
  /**
   * Cursors the hub does not know by job: an `all` socket's snapshot cursors (the hub gives it the
   * tenant's every event). Registered by job on `unsubscribe all`, so they are followed to their end.
   */
  private readonly notByJob = new Set<string>();
  private expiryTimer: ClockTimer | undefined;
  private readonly clock: Clock;
  /** The key whose socket slot this connection holds (given back on dispose). */
  private keySlot: string | null = null;
  private closed = false;
  /** Client messages are handled one at a time, in order (a subscribe awaits the database). */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ws: WebSocket,
    /** The socket under `ws`: live frames, built once by the hub, are written to it as they are. */
    private readonly socket: Duplex,
    private readonly deps: ApiDeps,
    private readonly hub: EventHub,
    private readonly options: StreamOptions,
    private readonly log: Logger,
    /** Open sockets per API key on this instance (GANTRY_WS_MAX_SOCKETS_PER_KEY). */
    private readonly keySockets: SocketQuota,
    /** The `all` snapshots by tenant, one read shared by the sockets that ask at once. */
    private readonly snapshots: CoalescedReads<string, ActiveSnapshot>,
  ) {
    this.clock = options.clock ?? systemClock;
    this.bucket = new TokenBucket(options.messageRate, options.messageBurst, this.clock);
  }

  /** Authenticates with a key from the subprotocol header, ahead of any message. */
  authenticateFirst(key: string): void {
    this.chain = this.chain.then(() => this.authenticate(key));
  }

  /** Authenticates with a key (from the subprotocol header or an `auth` message). */
  private async authenticate(key: string): Promise<void> {
    try {
      const principal = await authenticate(this.deps.keys, `Bearer ${key}`);
      if (!hasScope(principal, 'read')) throw new AppError('FORBIDDEN', 'This API key lacks the "read" scope');
      if (this.closed) return;
      // One key cannot hold an unbounded share of this instance's sockets (a leaked key, a client
      // that never closes what it opens). Counted once authenticated: before, the key is unknown.
      if (!this.keySockets.tryAcquire(principal.keyId)) {
        streamMetrics(this.deps.metrics).refused.inc({ reason: 'key_sockets' });
        return this.close(STREAM_CLOSE.RATE_LIMITED, 'too many sockets for this API key');
      }
      this.keySlot = principal.keyId;
      this.principal = principal;
      this.closeWhenKeyExpires(principal);
      this.send({ type: 'ready', tenant: principal.tenantName, protocol: STREAM_PROTOCOL });
    } catch (err) {
      const e = toAppError(err);
      this.close(STREAM_CLOSE.UNAUTHENTICATED, e.code === 'FORBIDDEN' ? 'forbidden' : 'invalid API key');
    }
  }

  /** A rotated key in its grace period: the socket goes when the grace ends (docs/security.md). */
  private closeWhenKeyExpires(principal: Principal): void {
    if (!principal.expiresAt) return;
    const delay = Math.min(Math.max(0, principal.expiresAt.getTime() - this.clock.now()), 2 ** 31 - 1);
    this.expiryTimer = this.clock.setTimeout(() => this.close(STREAM_CLOSE.UNAUTHENTICATED, 'API key revoked'), delay).unref();
  }

  /** A text frame from the client. Bad input gets an error message, never a crash. */
  handle(raw: string): void {
    // Rate limiting happens on arrival, so a flood cannot queue up work.
    if (!this.bucket.take()) {
      this.dropped += 1;
      if (this.dropped === 1 || this.dropped % 50 === 0) this.error('RATE_LIMITED', 'Too many messages; slow down');
      if (this.dropped > this.options.messageBurst * 4) this.close(STREAM_CLOSE.RATE_LIMITED, 'too many messages');
      return;
    }
    this.chain = this.chain.then(() => this.process(raw));
  }

  private async process(raw: string): Promise<void> {
    if (this.closed) return;
    let message: ClientMessage;
    try {
      const parsed = clientMessageSchema.safeParse(JSON.parse(raw));
      if (!parsed.success) {
        const details = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        return this.error('VALIDATION_FAILED', 'Unknown or invalid message', details);
      }
      message = parsed.data;
    } catch {
      return this.error('MALFORMED_JSON', 'Messages are JSON objects');
    }
    try {
      await this.dispatch(message);
    } catch (err) {
      const e = toAppError(err);
      if (e.code === 'INTERNAL') this.log.error({ err }, 'stream message failed');
      this.failed(e);
    }
  }

  /** A message failed: its error frame (an internal error's detail stays in the logs). */
  private failed(e: AppError): void {
    this.error(e.code, e.code === 'INTERNAL' ? 'An unexpected error occurred' : e.message, e.details);
  }

  private async dispatch(message: ClientMessage): Promise<void> {
    if (message.type === 'ping') return this.send(message.id ? { type: 'pong', id: message.id } : { type: 'pong' });
    if (message.type === 'auth') {
      if (this.principal) throw new AppError('BAD_REQUEST', 'Already authenticated');
      return this.authenticate(message.key);
    }
    if (!this.principal) throw new AppError('UNAUTHENTICATED', 'Authenticate first');
    if (message.type === 'subscribe') return this.subscribe(message, this.principal);
    const ids = idsOf(message);
    for (const id of ids) this.dropCursor(id);
    if (message.all && this.all) {
      this.all = false;
      this.hub.removeTenant(this.principal.tenantId, this);
      // The jobs its snapshots showed are followed on to their end, by job now.
      for (const id of this.notByJob) this.hub.addJob(id, this);
      this.notByJob.clear();
    }
    this.send({ type: 'unsubscribed', ...(message.all ? { all: true as const } : { jobIds: ids }) });
  }

  private async subscribe(message: SubscribeMessage, principal: Principal): Promise<void> {
    if (message.previews !== undefined) this.previews = message.previews;
    if (message.all) {
      // Already following everything: acknowledged, nothing re-sent (a repeated `all` must not
      // cost a hundred snapshots each time).
      if (this.all) return this.send({ type: 'subscribed', all: true });
      // Live events of the tenant are held from here until the snapshots are out, and the read is
      // asked for only now: it starts after this socket is registered (CoalescedReads), so an event
      // a snapshot does not show is among the held ones or comes later, and one it shows is dropped
      // by its cursor (seq <= lastSeq). No read of the events per socket and job.
      this.hub.addTenant(principal.tenantId, this);
      this.all = true;
      this.held = [];
      this.heldCount = 0;
      this.send({ type: 'subscribed', all: true });
      const result = await new Promise<ReadResult<ActiveSnapshot>>((resolve) =>
        this.snapshots.request(principal.tenantId, (r) => {
          try {
            this.takeSnapshot(r);
          } finally {
            resolve(r);
          }
        }),
      );
      // The read failed (logged once by the reader, not per socket): the subscription was undone,
      // so subscribing again reads again.
      if (!result.ok) this.failed(toAppError(result.error));
      return;
    }
    const ids = idsOf(message);
    const sinceByJob = new Map(Object.entries(message.sinceByJob ?? {}).map(([id, seq]) => [id.toLowerCase(), seq]));
    // Jobs followed one by one now, plus those this message adds (one already followed is
    // replaced, not added; one seen only through `all` becomes followed on its own).
    const added = ids.filter((id) => !this.cursors.has(id) || this.followedByAll.has(id)).length;
    if (this.cursors.size - this.followedByAll.size + added > this.options.maxSubscriptions) {
      throw new AppError('CONFLICT', `At most ${this.options.maxSubscriptions} job subscriptions per connection`);
    }
    for (const id of ids) await this.follow(principal.tenantId, id, message.jobId ? message.since : sinceByJob.get(id));
    this.send({ type: 'subscribed', jobIds: ids });
  }

  /**
   * Starts following a job: the cursor is registered (holding live events) before the job's view is
   * read, so nothing published in between is lost; then history after `since` is replayed. The view
   * and its last sequence number are one statement; a client that has every stored event (`since` at the
   * view's last sequence number, as a reconnect usually is) needs no read of them, only the events
   * held meanwhile. Another tenant's job, or a missing one, undoes the cursor (NOT_FOUND), as does a
   * failed read.
   */
  private async follow(tenantId: string, id: string, since: number | undefined): Promise<void> {
    const cursor = this.track(id, 0);
    cursor.hold();
    let job: Awaited<ReturnType<typeof readTenantJobSnapshot>>;
    let links: Awaited<ReturnType<typeof viewLinks>>;
    try {
      job = await readTenantJobSnapshot(this.deps.db, tenantId, id, { storageKeys: viewsPresign(this.deps) });
      if (!job) throw new AppError('NOT_FOUND', `No such job: ${id}`, { details: { jobId: id } });
      links = await viewLinks(this.deps, job.artifacts);
    } catch (err) {
      this.dropCursor(id); // a cursor left holding would fill up and drop the socket as a slow consumer
      throw err;
    }
    const view = jobView(job, job.artifacts, { inputs: job.inputs, links });
    this.send({ type: 'snapshot', job: view, lastSeq: job.lastSeq });
    await cursor.resumeFrom(since === undefined ? job.lastSeq : Math.min(since, job.lastSeq), job.lastSeq);
  }

  /**
   * A new cursor for a job at `lastSeq` (replacing any), registered with the hub for the job's
   * live events unless `byJob` is false: an `all` socket gets every event of its tenant anyway
   * (the hub skips its job registrations), and thousands of sockets' snapshots would otherwise
   * fill the hub's per-job sets for nothing (and empty them again when they close).
   */
  private track(jobId: string, lastSeq: number, byJob = true): JobCursor {
    this.dropCursor(jobId);
    const cursor = this.newCursor(jobId, lastSeq);
    this.cursors.set(jobId, cursor);
    streamMetrics(this.deps.metrics).followedJobs.inc();
    if (byJob) this.hub.addJob(jobId, this);
    else this.notByJob.add(jobId);
    return cursor;
  }

  /**
   * The shared read of the tenant's active jobs is in (CoalescedReads runs this in slices of
   * sockets): a cursor per job at the sequence number its snapshot shows, the snapshot frames
   * (serialized once for every socket) in one write, then the live events held meanwhile, round by
   * round, through the cursors (older than a snapshot: dropped; a gap: read from PostgreSQL as
   * always). The read failed: the `all` subscription is undone (the caller sends the error), and the
   * held rounds still go out for the jobs this socket follows by id (the others' events are dropped
   * as for any socket without `all`): a followed job's end held meanwhile is not lost.
   */
  private takeSnapshot(result: ReadResult<ActiveSnapshot>): void {
    const held = this.held;
    this.held = null;
    this.heldCount = 0;
    if (!this.all || this.closed || !this.principal) return;
    if (!result.ok) {
      this.all = false;
      this.hub.removeTenant(this.principal.tenantId, this);
      for (const round of held ?? []) this.deliver(round);
      return;
    }
    for (const job of result.value.jobs) {
      this.track(job.id, job.lastSeq, false);
      // Followed because of `all`: goes when the job ends, like the jobs seen later.
      this.followedByAll.add(job.id);
    }
    // At most ACTIVE_WINDOW views: bounded by itself, so only what was queued before it counts
    // against the send buffer's cap (else a small cap would refuse every `all` of a busy tenant).
    if (result.value.frames) this.sendRaw(result.value.frames, result.value.jobs.length, 0);
    for (const round of held ?? []) this.deliver(round);
  }

  /**
   * A hub round that came while the snapshots are read: its events of this tenant are kept for
   * after them (previews are dropped), MAX_HELD_EVENTS at most.
   */
  private hold(entries: readonly HubEntry[]): void {
    const tenantId = this.principal!.tenantId;
    const mine = (e: HubEntry) => e.kind === 'event' && e.tenantId === tenantId;
    const kept = entries.every(mine) ? entries : entries.filter(mine);
    if (kept.length === 0) return;
    this.heldCount += kept.length;
    if (this.heldCount > MAX_HELD_EVENTS) {
      this.held = [];
      return this.slowConsumer();
    }
    this.held!.push(kept);
  }

  /**
   * What every cursor of this socket shares (an `all` socket makes one per job it sees: made once
   * here, not a set of closures per job).
   */
  private readonly loadEvents = (id: string, after: number) => listJobEvents(this.deps.db, id, after, REPLAY_PAGE);
  private readonly sendOut = (data: Outbound) => this.sendRaw(data);
  private readonly cursorOptions = { onEnd: (cursor: JobCursor) => this.ended(cursor) };

  private newCursor(jobId: string, lastSeq: number): JobCursor {
    return new JobCursor(jobId, lastSeq, this.loadEvents, this.sendOut, this.cursorOptions);
  }

  /**
   * One round of the hub for this socket, written in one go (one system call, not one per event).
   * The frames are gathered first: when the socket gets every entry of the round, which is the
   * usual case, it is sent the hub's list as one shared buffer (joinedFrames), so a delivery
   * allocates nothing per socket; otherwise its own frames, corked into one write.
   */
  deliver(entries: readonly HubEntry[]): void {
    if (this.closed || !this.principal) return;
    if (this.held) return this.hold(entries);
    const frames: Buffer[] = (this.round = []);
    this.roundBytes = 0;
    try {
      for (const entry of entries) {
        if (this.closed) break;
        if (entry.tenantId !== this.principal.tenantId) continue;
        if (entry.kind === 'event') this.onEvent(entry);
        else if (this.previews && (this.all || this.cursors.has(entry.jobId))) this.sendRaw(entry.frame);
      }
    } finally {
      this.round = null;
      this.roundBytes = 0;
      // Written even if a cursor threw: the ones before it already counted their events as sent.
      this.writeRound(frames, entries);
    }
  }

  private writeRound(frames: readonly Buffer[], entries: readonly HubEntry[]): void {
    // Dropped as a slow consumer during the round: its close frame is queued, nothing may follow
    // it (the client resumes with `since` from the last event it got).
    if (frames.length === 0 || this.closed) return;
    if (frames.length === entries.length && sameFrames(frames, entries)) this.socket.write(joinedFrames(entries));
    else if (frames.length === 1) this.socket.write(frames[0]);
    else {
      this.socket.cork();
      for (const frame of frames) this.socket.write(frame);
      this.socket.uncork();
    }
    streamMetrics(this.deps.metrics).sent.inc(frames.length);
  }

  private onEvent(event: HubEntry): void {
    let cursor = this.cursors.get(event.jobId);
    if (!cursor) {
      // A job not followed, seen under `all`: followed from this event on, unless it is a late
      // event of a job that already ended (its cursor is gone).
      if (!this.all || event.afterEnd) return;
      cursor = this.newCursor(event.jobId, event.seq - 1);
      this.cursors.set(event.jobId, cursor);
      streamMetrics(this.deps.metrics).followedJobs.inc();
      this.followedByAll.add(event.jobId);
      if (this.followedByAll.size > MAX_FOLLOWED_BY_ALL) this.forgetOldestFollowed(event.jobId);
    }
    if (!cursor.live(event)) this.slowConsumer();
  }

  /** A job seen only through `all` ended: its cursor goes (memory does not grow with jobs seen). */
  private ended(cursor: JobCursor): void {
    if (this.followedByAll.has(cursor.jobId) && this.cursors.get(cursor.jobId) === cursor) this.dropCursor(cursor.jobId);
  }

  private forgetOldestFollowed(keep: string): void {
    for (const id of this.followedByAll) {
      if (id === keep || this.cursors.get(id)?.idle === false) continue;
      this.dropCursor(id);
      return;
    }
  }

  /** Releases every registration; called once the socket closed. */
  dispose(): void {
    this.closed = true;
    this.clock.clear(this.expiryTimer);
    if (this.keySlot !== null) this.keySockets.release(this.keySlot);
    this.keySlot = null;
    // Every cursor at once (a reconnect storm closes thousands of sockets of a hundred cursors each).
    for (const [id, cursor] of this.cursors) {
      cursor.close();
      this.hub.removeJob(id, this);
    }
    if (this.cursors.size > 0) streamMetrics(this.deps.metrics).followedJobs.dec(this.cursors.size);
    this.cursors.clear();
    this.followedByAll.clear();
    this.notByJob.clear();
    if (this.all && this.principal) this.hub.removeTenant(this.principal.tenantId, this);
  }

  /**
   * The heartbeat's question: did the kernel take more of this socket's bytes since the last sweep
   * than a ping's? Bytes handed over and completed (`bytesWritten` less what still waits in the
   * stream) move only while the kernel accepts data: a live reader far behind a saturated fan-out
   * (its ping queued behind megabytes in the kernel's buffers) keeps them moving. So can a hung
   * peer's kernel, absorbing a trickle of events for a long while: the heartbeat bounds how many
   * sweeps in a row this excuses (MAX_EXCUSED_SWEEPS).
   */
  draining(): boolean {
    const socket = this.socket as Duplex & { bytesWritten?: number };
    const dispatched = (socket.bytesWritten ?? 0) - socket.writableLength;
    const moved = dispatched - this.dispatchedAtSweep;
    this.dispatchedAtSweep = dispatched;
    return moved > PING_FRAME_BYTES;
  }

  /** The heartbeat's ping (an open socket only: one closing or closed has nothing to answer). */
  ping(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  /** Cuts the connection off without a close handshake (a peer that stopped answering). */
  terminate(): void {
    this.ws.terminate();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
    // A peer that does not answer the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private dropCursor(jobId: string): void {
    this.followedByAll.delete(jobId);
    this.notByJob.delete(jobId);
    const cursor = this.cursors.get(jobId);
    if (!cursor) return;
    cursor.close();
    this.cursors.delete(jobId);
    streamMetrics(this.deps.metrics).followedJobs.dec();
    this.hub.removeJob(jobId, this);
  }

  private error(code: string, message: string, details?: unknown): void {
    this.send(details === undefined ? { type: 'error', code, message } : { type: 'error', code, message, details });
  }

  private send(message: object): void {
    this.sendRaw(JSON.stringify(message));
  }

  /**
   * Bounded send: a client that cannot keep up is dropped and told to resume with `since`. A
   * string is framed by ws; a Buffer is a complete frame, written to the socket as it is (ws
   * writes every frame straight to the socket too, so the order is kept); `messages`: how many it
   * holds (the joined snapshot frames), for the sent count; `counted`: its bytes the cap counts
   * (the snapshots, bounded by themselves, count none). During a hub round the frame joins the
   * round's, written when the round is done (deliver).
   */
  private sendRaw(data: Outbound, messages = 1, counted = data.length): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount + this.roundBytes + counted > this.options.maxBufferedBytes) return this.slowConsumer();
    if (this.round) {
      const frame = typeof data === 'string' ? textFrame(data) : data;
      this.round.push(frame);
      this.roundBytes += frame.length;
      return;
    }
    if (typeof data === 'string') this.ws.send(data);
    else this.socket.write(data);
    streamMetrics(this.deps.metrics).sent.inc(messages);
  }

  private slowConsumer(): void {
    this.log.info({ tenant: this.principal?.tenantName }, 'stream client too slow; dropped');
    streamMetrics(this.deps.metrics).slowConsumerDrops.inc();
    this.close(STREAM_CLOSE.SLOW_CONSUMER, 'slow consumer: reconnect and resume with since');
  }
}
