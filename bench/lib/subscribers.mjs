// The benchmark's WebSocket clients: many subscribers in this one process, each checking the order
// of what it receives (per job: seq rises by exactly one) and timing every live event against the
// worker's publish time (`publishedAt`; same machine, same clock).
import { WebSocket } from 'ws';
import { Histogram } from './stats.mjs';

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/** Everything the clients observed, shared by all of them (one process, one event loop). */
export class Observations {
  constructor() {
    this.latency = { all: new Histogram(), job: new Histogram() };
    this.connectMs = new Histogram();
    this.delivered = { all: 0, job: 0 };
    this.replayed = 0; // events without publishedAt: read back from PostgreSQL (resume or gap fill)
    this.gaps = 0; // missing sequence numbers inside a (client, job) stream
    this.duplicates = 0; // a seq at or below the last one seen
    this.snapshots = 0;
    this.subscribedAcks = 0;
    this.jobAcks = 0; // `subscribed` answers to per-job subscriptions
    this.errors = new Map(); // server `error` messages by code
    this.closes = new Map(); // unexpected closes by code
    this.connectFailures = new Map(); // failed connect attempts by reason
    this.retries = 0;
    this.doneStreams = 0;
    this.terminal = new Map(); // jobId -> terminal status, as first seen by any subscriber
    this.firstEventAt = null;
    this.minPublishedAt = Infinity; // the worker's publish times seen: how long the jobs emitted events
    this.maxPublishedAt = -Infinity;
    this.lastEventAt = null;
  }

  count(map, key) {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

/** One subscriber: `all` (every job of the tenant) or `job` (one job, replayed from seq 1). */
export class Subscriber {
  constructor(index, mode, obs) {
    this.index = index;
    this.mode = mode;
    this.obs = obs;
    this.ws = null;
    this.ready = false;
    this.jobId = null;
    /** jobId -> { first, last, done } */
    this.streams = new Map();
    this.waiter = null;
    this.closedByBench = false;
  }

  /** Opens, authenticates in the handshake, and (mode `all`) subscribes; resolves when acknowledged. */
  connect(wsUrl, key, timeoutMs) {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.waiter = null;
        if (err) {
          // A failed attempt is dropped; its late events (close) must not count against the retry.
          this.ws = null;
          ws.terminate();
          reject(err);
        } else {
          this.obs.connectMs.add(Date.now() - started);
          resolve();
        }
      };
      const timer = setTimeout(() => finish(new Error('timeout')), timeoutMs);
      const ws = new WebSocket(wsUrl, ['gantry.v1', `gantry.key.${key}`], { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      this.ws = ws;
      this.waiter = (m) => {
        if (m.type === 'ready') {
          this.ready = true;
          if (this.mode === 'all') ws.send(JSON.stringify({ type: 'subscribe', all: true }));
          else finish();
        } else if (m.type === 'subscribed' && this.mode === 'all') finish();
      };
      ws.on('message', (data) => this.onMessage(data));
      ws.once('unexpected-response', (_req, res) => finish(new Error(`HTTP ${res.statusCode}`)));
      // `on`, not `once`: a terminated attempt may report a second error, which must not go unheard.
      ws.on('error', (err) => finish(new Error(err.code ?? err.message)));
      ws.once('close', (code) => {
        if (!settled) return finish(new Error(`close ${code}`));
        if (this.ws !== ws) return;
        this.ready = false;
        if (!this.closedByBench) this.obs.count(this.obs.closes, code);
      });
    });
  }

  /** Follows one job from its first event (since 0): snapshot, replay from the database, then live. */
  subscribeJob(jobId) {
    this.jobId = jobId;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'subscribe', jobId, since: 0 }));
  }

  onMessage(data) {
    const now = Date.now();
    const obs = this.obs;
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      obs.count(obs.errors, 'UNPARSEABLE');
      return;
    }
    if (m.type === 'event') return this.onEvent(m, now);
    if (this.waiter) this.waiter(m);
    if (m.type === 'snapshot') obs.snapshots += 1;
    else if (m.type === 'error') obs.count(obs.errors, m.code);
    else if (m.type === 'subscribed') {
      obs.subscribedAcks += 1;
      if (m.jobIds) obs.jobAcks += 1;
    }
  }

  onEvent(m, now) {
    const obs = this.obs;
    obs.delivered[this.mode] += 1;
    obs.firstEventAt ??= now;
    obs.lastEventAt = now;
    if (typeof m.publishedAt === 'number') {
      obs.latency[this.mode].add(now - m.publishedAt);
      if (m.publishedAt < obs.minPublishedAt) obs.minPublishedAt = m.publishedAt;
      if (m.publishedAt > obs.maxPublishedAt) obs.maxPublishedAt = m.publishedAt;
    } else obs.replayed += 1;
    let stream = this.streams.get(m.jobId);
    if (!stream) {
      // A job subscription with since 0 starts at seq 1; under `all` a job is followed from the
      // first event seen (the bench checks that start against the other clients afterwards).
      stream = { first: this.mode === 'job' ? 1 : m.seq, last: this.mode === 'job' ? 0 : m.seq - 1, done: false };
      this.streams.set(m.jobId, stream);
    }
    if (m.seq === stream.last + 1) stream.last = m.seq;
    else if (m.seq <= stream.last) obs.duplicates += 1;
    else {
      obs.gaps += m.seq - stream.last - 1;
      stream.last = m.seq;
    }
    if (!stream.done && m.event?.type === 'state' && TERMINAL.has(m.event.status)) {
      stream.done = true;
      obs.doneStreams += 1;
      if (!obs.terminal.has(m.jobId)) obs.terminal.set(m.jobId, m.event.status);
    }
  }

  close() {
    this.closedByBench = true;
    this.ws?.terminate();
  }
}

/**
 * Connects every subscriber with at most `concurrency` handshakes in flight (a connect counts until
 * `ready`/`subscribed` arrived, so a busy server slows the bench down instead of timing it out).
 * A failed connect is retried (up to `retries` times) after a short pause.
 */
export async function connectAll(subs, { wsUrl, key, concurrency, timeoutMs, retries, deadline, onProgress }) {
  let next = 0;
  let connected = 0;
  const failed = [];
  const obs = subs[0]?.obs;
  const runOne = async (sub) => {
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > deadline) throw new Error('overall timeout while connecting');
      try {
        await sub.connect(wsUrl, key, timeoutMs);
        connected += 1;
        onProgress?.(connected);
        return;
      } catch (err) {
        obs.count(obs.connectFailures, err.message);
        if (attempt >= retries) {
          failed.push(sub);
          return;
        }
        obs.retries += 1;
        await new Promise((r) => setTimeout(r, 250 * (attempt + 1) + Math.random() * 250));
      }
    }
  };
  const lane = async () => {
    while (next < subs.length) await runOne(subs[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, subs.length) }, lane));
  return { connected, failed };
}
