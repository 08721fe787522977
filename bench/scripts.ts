/**
 * What loading the Lua scripts once (runScript: ioredis defineCommand, EVALSHA) buys over sending
 * their text with every call (EVAL, as before), for the hottest one: the slot lease script, in the
 * same run against the same Redis (bench/README.md, "Redis scripts").
 *
 *   npm run bench:scripts                       20,000 calls per way, 8 candidate backends
 *   npm run bench:scripts -- --calls 50000 --candidates 32
 *
 * Each way runs its calls sequentially (latency) and then 32 at a time (throughput), alternating
 * the ways twice so neither gets the warmer machine. Figures, not assertions. Needs Redis like
 * `npm test` (TEST_REDIS_URL, default redis://127.0.0.1:6379).
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ACQUIRE_LEASE } from '../packages/fleet/src/lease-script.js';
import { closeRedis, createRedis, runScript, type RedisClient } from '@gantry/queue';
import { deleteKeys, TEST_REDIS_URL } from '@gantry/testing';
import { runMain } from './lib/run-main.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, candidates: { type: 'string', default: '8' } } });
const CALLS = Number(values.calls);
const CANDIDATES = Number(values.candidates);
const IN_FLIGHT = 32;

type Call = (redis: RedisClient, keys: string[], args: (string | number)[]) => Promise<unknown>;
const ways: Record<'eval (text every call)' | 'runScript (EVALSHA)', Call> = {
  'eval (text every call)': (redis, keys, args) => redis.eval(ACQUIRE_LEASE.lua, keys.length, ...keys, ...args),
  'runScript (EVALSHA)': (redis, keys, args) => runScript(redis, ACQUIRE_LEASE, keys, args),
};

async function run(redis: RedisClient, call: Call, prefix: string, concurrency: number): Promise<number> {
  const keys = [...Array.from({ length: CANDIDATES }, (_, i) => `${prefix}:lease:gpu${i}`), `${prefix}:tenant-running:t`];
  // Capacity far above the calls: every call takes a lease, as a busy fleet's dispatch does.
  const args = (i: number) => [60_000, `lease-${i}`, i, 'lc', 0, CANDIDATES, 0, '', ...Array.from({ length: CANDIDATES }, () => [1_000_000_000, 0]).flat()];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < CALLS) await call(redis, keys, args(next++));
    }),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await deleteKeys(redis, `${prefix}:*`);
  return ms;
}

async function main(): Promise<void> {
  const redis = createRedis(TEST_REDIS_URL);
  const prefix = `gantry-bench-${randomUUID().slice(0, 8)}`;
  const loadBefore = loadavg()[0]!;
  try {
    const totals = new Map<string, { sequential: number; concurrent: number }>();
    for (const name of Object.keys(ways)) totals.set(name, { sequential: 0, concurrent: 0 });
    await run(redis, ways['runScript (EVALSHA)'], `${prefix}:warm`, IN_FLIGHT); // defines the command, warms both paths' code
    for (let round = 0; round < 2; round++) {
      for (const [name, call] of Object.entries(ways)) {
        const t = totals.get(name)!;
        t.sequential += await run(redis, call, `${prefix}:${round}`, 1);
        t.concurrent += await run(redis, call, `${prefix}:${round}`, IN_FLIGHT);
      }
    }
    const raw = totals.get('eval (text every call)')!;
    const perCall = (ms: number) => `${((ms / (2 * CALLS)) * 1000).toFixed(1)} µs`;
    const perSecond = (ms: number) => `${Math.round((2 * CALLS) / (ms / 1000)).toLocaleString('en')}/s`;
    console.log(`\nslot lease script, ${CALLS} calls per way and round (2 rounds), ${CANDIDATES} candidates; script text ${ACQUIRE_LEASE.lua.length} bytes, SHA1 40`);
    console.log(`load average (1 min) before/after: ${loadBefore.toFixed(2)} / ${loadavg()[0]!.toFixed(2)}\n`);
    console.log('| way | sequential, per call | ratio | 32 in flight, calls/s | ratio |');
    console.log('|---|---|---|---|---|');
    for (const [name, t] of totals) {
      console.log(`| ${name} | ${perCall(t.sequential)} | ${(t.sequential / raw.sequential).toFixed(2)}x | ${perSecond(t.concurrent)} | ${(t.concurrent / raw.concurrent).toFixed(2)}x time |`);
    }
  } finally {
    await deleteKeys(redis, `${prefix}:*`).catch(() => undefined);
    await closeRedis(redis);
  }
}

runMain(main);
