/**
 * What REDIS_URL points at: one Redis server, a Sentinel-managed master, or a Redis Cluster.
 * Pure parsing (no I/O) so the environment can be validated at start; `@gantry/queue` turns a
 * target into ioredis connections.
 *
 *   redis://[[user]:password@]host[:port][/db]          one server (passed to ioredis unchanged)
 *   rediss://...                                        the same over TLS
 *   redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/master-name[/db]
 *       [?sentinelPassword=...&sentinelUsername=...]     sentinels (default port 26379); the
 *                                                       credentials are the data nodes'
 *   redis-cluster://[[user]:password@]host[:port][,host[:port]...]
 *                                                       seed nodes (default port 6379)
 *
 * Hosts may be names, IPv4 or bracketed IPv6 (`[::1]:26379`). Credentials and query values are
 * percent-decoded. Error messages never repeat the URL: it may hold a password.
 */
export interface RedisHost {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
}

export type RedisTarget =
  | { mode: 'standalone'; url: string }
  | ({ mode: 'sentinel'; sentinels: RedisHost[]; masterName: string; db: number; sentinelUsername?: string; sentinelPassword?: string } & Credentials)
  | ({ mode: 'cluster'; nodes: RedisHost[] } & Credentials);

export type RedisMode = RedisTarget['mode'];

const MULTI_HOST = /^(redis-sentinel|redis-cluster):\/\/(?:([^@/?#]*)@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/;
const SENTINEL_PARAMS = new Set(['sentinelPassword', 'sentinelUsername']);

/** Parses REDIS_URL; throws an Error saying what is wrong (without the URL itself). */
export function parseRedisTarget(url: string): RedisTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') {
    try {
      new URL(url);
    } catch {
      throw new Error('not a valid redis:// URL');
    }
    return { mode: 'standalone', url };
  }
  if (scheme === 'rediss-sentinel' || scheme === 'rediss-cluster') {
    throw new Error(`${scheme}:// is not supported: TLS is available with rediss:// (one server) only`);
  }
  if (scheme !== 'redis-sentinel' && scheme !== 'redis-cluster') {
    throw new Error(`unsupported scheme${scheme ? ` "${scheme}"` : ''}: use redis://, rediss://, redis-sentinel:// or redis-cluster://`);
  }
  const match = MULTI_HOST.exec(url);
  if (!match) throw new Error(`not a valid ${scheme}:// URL`);
  const [, , userinfo, hostList = '', path = '', query = ''] = match;
  const credentials = parseUserinfo(userinfo);
  const params = parseQuery(query);
  if (scheme === 'redis-cluster') {
    if (params.size > 0) throw new Error(`redis-cluster:// takes no query parameters (got ${[...params.keys()].join(', ')})`);
    // A cluster has only database 0; an index would be silently ignored, so it is refused.
    if (path !== '' && path !== '/') throw new Error('redis-cluster:// takes no path: a Redis Cluster has only database 0');
    return { mode: 'cluster', nodes: parseHosts(hostList, 6379), ...credentials };
  }
  for (const name of params.keys()) {
    if (!SENTINEL_PARAMS.has(name)) throw new Error(`unknown redis-sentinel:// parameter "${name}" (known: ${[...SENTINEL_PARAMS].join(', ')})`);
  }
  const [masterName, db = '0', ...rest] = path.replace(/^\//, '').split('/');
  if (!masterName || rest.length > 0) throw new Error('redis-sentinel:// needs the master name as its path: /<master-name>[/<db>]');
  if (!/^\d{1,5}$/.test(db)) throw new Error('redis-sentinel:// database index must be a number');
  return {
    mode: 'sentinel',
    sentinels: parseHosts(hostList, 26379),
    masterName: decode(masterName, 'master name'),
    db: Number(db),
    ...credentials,
    ...(params.has('sentinelUsername') ? { sentinelUsername: params.get('sentinelUsername') } : {}),
    ...(params.has('sentinelPassword') ? { sentinelPassword: params.get('sentinelPassword') } : {}),
  };
}

function parseUserinfo(userinfo: string | undefined): Credentials {
  if (!userinfo) return {};
  const colon = userinfo.indexOf(':');
  const username = decode(colon === -1 ? userinfo : userinfo.slice(0, colon), 'user name');
  const password = colon === -1 ? '' : decode(userinfo.slice(colon + 1), 'password');
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`the ${what} is not percent-encoded correctly`);
  }
}

function parseQuery(query: string): Map<string, string> {
  return new Map(new URLSearchParams(query).entries());
}

function parseHosts(list: string, defaultPort: number): RedisHost[] {
  return list.split(',').map((entry, i) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(entry.trim());
    const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
    // The entry itself is not quoted: a password with an unencoded '@' would end up here.
    if (!m?.[1] || port < 1 || port > 65535) throw new Error(`host ${i + 1} of the host list is not host[:port]`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * True when `key` holds a Redis Cluster hash tag: the first `{` followed by a `}` with at least one
 * character between them. Only that part is hashed, so keys sharing the tag share a slot.
 */
export function hasHashTag(key: string): boolean {
  const open = key.indexOf('{');
  return open !== -1 && key.indexOf('}', open + 1) > open + 1;
}

/**
 * The key prefix Gantry uses on this Redis. On a cluster every key (BullMQ's and Gantry's own,
 * which Lua scripts and MULTI touch several at a time) must fall in one slot, so a prefix without
 * a hash tag is wrapped: `gantry` → `{gantry}`. One server and Sentinel keep the prefix as it is,
 * so an existing installation's queued jobs stay where they are. Idempotent.
 */
export function redisKeyPrefix(prefix: string, mode: RedisMode): string {
  return mode === 'cluster' && !hasHashTag(prefix) ? `{${prefix}}` : prefix;
}
