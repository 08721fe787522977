import type { RedisClient } from './connection.js';

/**
 * A Lua script Gantry runs in Redis. Declared once with {@link redisScript} next to the code that
 * owns it; run with {@link runScript}, which defines it on the connection the first time
 * (ioredis `defineCommand`): from then on only its SHA1 travels (EVALSHA), and ioredis sends the
 * text again by itself when the server does not know it (NOSCRIPT after a restart or failover).
 * In Cluster mode every key of one call must share a hash slot (a hash-tagged prefix).
 */
export interface RedisScript {
  /** The command name on the connection (unique across Gantry). */
  readonly name: string;
  readonly lua: string;
}

const declared = new Map<string, string>();

/** Declares a script; a second script under the same name is a programming error. */
export function redisScript(name: string, lua: string): RedisScript {
  if (!/^gantry[A-Z][A-Za-z]*$/.test(name)) throw new Error(`redis script name ${name}: use gantryCamelCase (it becomes a method of the connection)`);
  const known = declared.get(name);
  if (known !== undefined && known !== lua) throw new Error(`redis script ${name} is declared twice with different text`);
  declared.set(name, lua);
  return { name, lua };
}

/** Every script declared so far, name → Lua text (benches name EVALSHA calls by it). */
export function declaredScripts(): ReadonlyMap<string, string> {
  return declared;
}

type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: (string | number | Buffer)[]) => Promise<unknown>;

const definedOn = new WeakMap<RedisClient, Set<string>>();

/** Runs `script` with `keys` (KEYS) and `args` (ARGV) on `redis`, defining it there first if needed. */
export function runScript<T = unknown>(redis: RedisClient, script: RedisScript, keys: readonly string[], args: readonly (string | number | Buffer)[] = []): Promise<T> {
  let names = definedOn.get(redis);
  if (!names) definedOn.set(redis, (names = new Set()));
  if (!names.has(script.name)) {
    // No numberOfKeys: each call passes its own count (the lease script takes one key per candidate).
    redis.defineCommand(script.name, { lua: script.lua });
    names.add(script.name);
  }
  const command = (redis as unknown as Record<string, ScriptCommand>)[script.name]!;
  return command.call(redis, keys.length, ...keys, ...args) as Promise<T>;
}
