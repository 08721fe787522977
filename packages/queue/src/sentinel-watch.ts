import { Redis, type RedisOptions } from 'ioredis';
import type { RedisHost } from '@gantry/domain';

/** What a watch needs to know about one Sentinel-managed master. */
export interface SentinelWatchTarget {
  sentinels: RedisHost[];
  masterName: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
}

const CHANNEL = '+switch-master';

/**
 * One watch per Sentinel master and process: a subscriber on every sentinel's `+switch-master`
 * channel that moves every Gantry connection to that master (registered by createRedis) over to
 * the new one. It replaces ioredis' own `failoverDetector`, which ends the connection's socket
 * through the connector: if that lands while the connection is asking the sentinels for the master
 * (reconnecting after the master died), ioredis gives the connection up for good ("Connection is
 * closed", status `end`). Here a connection is only ever told to reconnect when it has a socket;
 * one that is still connecting is checked once it is ready.
 *
 * Messages from several sentinels for one failover are deduplicated by the new address. A
 * message missed while a sentinel link was down is caught up by asking that sentinel for the
 * master when the link is back (a sentinel that is itself behind can cause one needless round of
 * reconnects; each connection still lands on the node the sentinels agree on, role-checked). The old master may still take writes for seconds after a
 * failover: following the switch at once keeps them off it; a write that reaches it after its
 * demotion fails with READONLY and is resent after a reconnect (see connection.ts).
 */
class SentinelWatch {
  private readonly clients = new Set<Redis>();
  /** Connections that check their server once ready (one check each, whatever the switches). */
  private readonly checking = new WeakSet<Redis>();
  private readonly subscribers: Redis[];
  /** host:port of the master as last announced (null until known). */
  private master: string | null = null;

  constructor(
    readonly target: SentinelWatchTarget,
    private readonly onEmpty: () => void,
  ) {
    this.subscribers = target.sentinels.map((sentinel) => this.subscribe(sentinel));
  }

  /** Follows `client` until it ends. */
  add(client: Redis): void {
    this.clients.add(client);
    client.once('end', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.close();
    });
  }

  /** The connections being followed (tests). */
  get size(): number {
    return this.clients.size;
  }

  private close(): void {
    for (const s of this.subscribers) s.disconnect();
    this.onEmpty();
  }

  private subscribe(sentinel: RedisHost): Redis {
    const subscriber = this.sentinelConnection(sentinel, { lazyConnect: false });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== CHANNEL) return;
      // "<master-name> <old-ip> <old-port> <new-ip> <new-port>"
      const [name, , , host, port] = message.split(' ');
      if (name === this.target.masterName && host && port) this.switchTo(`${host}:${port}`);
    });
    // Resubscribed after a lost link: what was announced meanwhile is read from the sentinel. (Not
    // at the first connect: connections find the master through the sentinels by themselves, and
    // a sentinel that missed a failover would send them all to the old master once.)
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) void this.askMaster(sentinel);
      connectedBefore = true;
    });
    // The connections it follows keep the process alive; the watch alone must not.
    subscriber.on('connect', () => subscriber.stream?.unref());
    subscriber.subscribe(CHANNEL).catch(() => undefined); // resubscribed by ioredis on reconnect
    return subscriber;
  }

  private async askMaster(sentinel: RedisHost): Promise<void> {
    const client = this.sentinelConnection(sentinel, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.target.masterName)) as [string, string] | null;
      if (reply) this.switchTo(`${reply[0]}:${reply[1]}`);
    } catch {
      // The sentinel is unreachable again; its next 'ready' asks once more.
    } finally {
      client.disconnect();
    }
  }

  private sentinelConnection(sentinel: RedisHost, options: Omit<RedisOptions, 'replyMapping'>): Redis {
    const client = new Redis({
      host: sentinel.host,
      port: sentinel.port,
      username: this.target.sentinelUsername,
      password: this.target.sentinelPassword,
      enableReadyCheck: false,
      connectTimeout: 2000,
      // A sentinel that is down is retried for as long as the watch lives, at most every 2 s.
      retryStrategy: (times: number) => Math.min(times * 200, 2000),
      ...options,
    });
    client.on('error', () => undefined); // the link retries; the connections themselves report their errors
    return client;
  }

  private switchTo(address: string): void {
    if (address === this.master) return;
    this.master = address;
    for (const client of this.clients) this.ensureOn(client, address);
  }

  /** Reconnects `client` (through the sentinels) unless it is on `address` already. */
  private ensureOn(client: Redis, address: string): void {
    if (client.status === 'ready' || client.status === 'connect') {
      if (servedBy(client) !== address) client.disconnect(true);
      return;
    }
    if (client.status === 'end' || client.status === 'wait') return;
    // Connecting or reconnecting: ending its socket now could end it for good (see above). The
    // sentinels already name the new master, so it most likely lands there; checked when ready.
    if (this.checking.has(client)) return;
    this.checking.add(client);
    client.once('ready', () => {
      this.checking.delete(client);
      if (this.master !== null && servedBy(client) !== this.master) client.disconnect(true);
    });
  }
}

/** host:port of the server a connection's socket is connected to. */
function servedBy(client: Redis): string | null {
  const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  return stream?.remoteAddress && stream.remotePort ? `${stream.remoteAddress}:${stream.remotePort}` : null;
}

const watches = new Map<string, SentinelWatch>();

/** The process's watch of `target` (started on first use, stopped when its last connection ends). */
export function watchSentinelMaster(target: SentinelWatchTarget, client: Redis): void {
  const key = JSON.stringify([target.sentinels, target.masterName, target.sentinelUsername ?? '', target.sentinelPassword ?? '']);
  let watch = watches.get(key);
  if (!watch) {
    watch = new SentinelWatch(target, () => watches.delete(key));
    watches.set(key, watch);
  }
  watch.add(client);
}

/** How many connections the process's watches follow; with `sentinelPort`, only the watches asking that sentinel (tests). */
export function watchedConnections(sentinelPort?: number): number {
  let n = 0;
  for (const w of watches.values()) if (sentinelPort === undefined || w.target.sentinels.some((s) => s.port === sentinelPort)) n += w.size;
  return n;
}
