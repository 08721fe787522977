import { randomUUID } from 'node:crypto';
import { findApiKeyByPrefix, touchApiKey, type ApiKeyRecord, type Db } from '@gantry/db';
import { systemClock, type Clock, type ClockTimer } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import type { Registry } from '@gantry/metrics';
import type { RedisClient } from '@gantry/queue';
import { keyAuthMetrics } from './key-auth-metrics.js';

/** Where authentication finds keys (a cache in front of PostgreSQL, or PostgreSQL itself). */
export interface KeyLookup {
  find(prefix: string): Promise<ApiKeyRecord | null>;
  /** Records that a key was used (throttled `lastUsedAt`). */
  noteUse(keyId: string): void;
}

/** Called when a key stops working on this instance (revoked, or its rotation grace ended). */
export type RevocationListener = (keyId: string) => void;

export interface KeyDirectoryOptions {
  db: Db;
  /** Publishes revocations (any connection). */
  redis: RedisClient;
  /** A connection of its own for SUBSCRIBE. */
  subscriber: RedisClient;
  /** GANTRY_QUEUE_PREFIX: the channel is `<prefix>:api-keys`. */
  prefix: string;
  /** GANTRY_AUTH_CACHE_TTL_MS; 0 disables the cache. */
  ttlMs: number;
  /** GANTRY_AUTH_NEGATIVE_CACHE_TTL_MS: how long an unknown key stays known as unknown; 0 (default): never cached. */
  negativeTtlMs?: number;
  logger: Logger;
  metrics: Registry;
  /** Entries kept at most, per cache (oldest go first). */
  maxEntries?: number;
  /** The clock of cache expiry and of scheduled revocations (default the system clock; tests pass a ManualClock). */
  clock?: Clock;
}

interface Entry {
  record: ApiKeyRecord;
  expiresAt: number;
}

interface RevocationNotice {
  keyId: string;
  /** Epoch ms from which the key no longer works (future for a rotation with grace). */
  at: number;
  /** The announcing instance (which applied the notice already). */
  from: string;
}

const TOUCH_EVERY_MS = 60_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * API key lookups for one API instance. Keys are read on every request and every WebSocket
 * authentication, so successful lookups are cached for `ttlMs`. Unknown keys are remembered for
 * `negativeTtlMs` in a cache of their own, so a client repeating a bad key (a misconfigured
 * dashboard, a WebSocket reconnect loop) costs no query each time, and a flood of random keys
 * cannot push valid keys out; it is brief because a key may come to exist (GANTRY_ADMIN_KEY set
 * on an instance that starts later). A
 * revocation or rotation is published on Redis; every instance evicts the key at once and tells
 * its listeners (the WebSocket gateway closes the key's sockets). If a notice is lost (Redis
 * blip), the TTL bounds the staleness. A revocation time in the future (rotation grace) is
 * checked on every use and also scheduled here, so sockets are closed when it passes.
 */
export class KeyDirectory implements KeyLookup {
  private readonly cache = new Map<string, Entry>();
  /** Prefixes no key has, until when. */
  private readonly unknown = new Map<string, number>();
  private readonly clock: Clock;
  private readonly listeners = new Set<RevocationListener>();
  /** Pending ends of grace periods, one per key (a later notice replaces it). */
  private readonly timers = new Map<string, ClockTimer>();
  private readonly instanceId = randomUUID();
  private readonly touched = new Map<string, number>();
  private readonly inflight = new Map<string, { lookup: Promise<ApiKeyRecord | null>; startedAt: number }>();
  private readonly channel: string;
  private readonly maxEntries: number;
  /** When the last revocation notice was applied: a lookup that started before it is not cached. */
  private lastNoticeAt = 0;
  private readonly onMessage = (channel: string, message: string) => {
    if (channel === this.channel) this.receive(message);
  };

  constructor(private readonly options: KeyDirectoryOptions) {
    this.channel = `${options.prefix}:api-keys`;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.clock = options.clock ?? systemClock;
  }

  async start(): Promise<void> {
    this.options.subscriber.on('message', this.onMessage);
    await this.options.subscriber.subscribe(this.channel);
  }

  async stop(): Promise<void> {
    this.options.subscriber.off('message', this.onMessage);
    for (const t of this.timers.values()) this.clock.clear(t);
    this.timers.clear();
    await this.options.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  async find(prefix: string): Promise<ApiKeyRecord | null> {
    const metrics = keyAuthMetrics(this.options.metrics);
    const now = this.clock.now();
    const hit = this.cache.get(prefix);
    if (hit && hit.expiresAt > now) {
      metrics.lookups.inc({ result: 'hit' });
      return hit.record;
    }
    if ((this.unknown.get(prefix) ?? 0) > now) {
      metrics.lookups.inc({ result: 'unknown_hit' });
      return null;
    }
    metrics.lookups.inc({ result: 'miss' });
    // Concurrent lookups of one key (a burst on a cold cache) share one query.
    // (Not one that started before a revocation notice: it may read the key as it was.)
    const pending = this.inflight.get(prefix);
    if (pending && this.lastNoticeAt < pending.startedAt) return pending.lookup;
    const lookup = this.load(prefix, now).finally(() => {
      if (this.inflight.get(prefix)?.lookup === lookup) this.inflight.delete(prefix);
    });
    this.inflight.set(prefix, { lookup, startedAt: now });
    return lookup;
  }

  private async load(prefix: string, startedAt: number): Promise<ApiKeyRecord | null> {
    const record = await findApiKeyByPrefix(this.options.db, prefix);
    this.cache.delete(prefix);
    this.unknown.delete(prefix);
    // A revocation notice applied while the query ran may be newer than what it read: not cached.
    if (record && this.options.ttlMs > 0 && this.lastNoticeAt < startedAt) {
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(prefix, { record, expiresAt: startedAt + this.options.ttlMs });
    }
    const negativeTtlMs = this.options.negativeTtlMs ?? 0;
    if (!record && negativeTtlMs > 0) {
      if (this.unknown.size >= this.maxEntries) this.unknown.delete(this.unknown.keys().next().value!);
      this.unknown.set(prefix, startedAt + negativeTtlMs);
    }
    return record;
  }

  noteUse(keyId: string): void {
    const now = this.clock.now();
    if (now - (this.touched.get(keyId) ?? 0) < TOUCH_EVERY_MS) return;
    if (this.touched.size >= this.maxEntries) this.touched.clear();
    this.touched.set(keyId, now);
    touchApiKey(this.options.db, keyId).catch((err: unknown) => this.options.logger.debug({ err, keyId }, 'lastUsedAt not updated'));
  }

  /** Registers a listener for keys that stop working; returns its removal. */
  onRevoked(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Tells every instance (this one included, at once) that a key stops working at `at`. Call it
   * after the change is committed. A failed publish is logged: the TTL still bounds staleness.
   */
  async announceRevocation(keyId: string, at: Date): Promise<void> {
    const notice: RevocationNotice = { keyId, at: at.getTime(), from: this.instanceId };
    this.apply(notice);
    try {
      await this.options.redis.publish(this.channel, JSON.stringify(notice));
    } catch (err) {
      this.options.logger.warn({ err, keyId }, 'revocation not published; other instances notice within GANTRY_AUTH_CACHE_TTL_MS');
    }
  }

  private receive(message: string): void {
    let notice: RevocationNotice;
    try {
      notice = JSON.parse(message) as RevocationNotice;
    } catch {
      return;
    }
    if (typeof notice.keyId !== 'string' || typeof notice.at !== 'number' || notice.from === this.instanceId) return;
    keyAuthMetrics(this.options.metrics).revocations.inc();
    this.apply(notice);
  }

  /** Evicts the key now (its row changed) and tells listeners when it stops working. */
  private apply(notice: RevocationNotice): void {
    this.lastNoticeAt = this.clock.now();
    this.evict(notice.keyId);
    this.clock.clear(this.timers.get(notice.keyId));
    this.timers.delete(notice.keyId);
    const delay = notice.at - this.clock.now();
    if (delay <= 0) return this.emit(notice.keyId);
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(notice.keyId);
      this.evict(notice.keyId);
      this.emit(notice.keyId);
    }, Math.min(delay, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(notice.keyId, timer);
  }

  private evict(keyId: string): void {
    for (const [prefix, entry] of this.cache) if (entry.record.id === keyId) this.cache.delete(prefix);
  }

  private emit(keyId: string): void {
    for (const listener of this.listeners) {
      try {
        listener(keyId);
      } catch (err) {
        this.options.logger.error({ err, keyId }, 'revocation listener failed');
      }
    }
  }
}
