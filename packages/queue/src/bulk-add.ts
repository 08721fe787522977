import type { JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { RedisClient } from './connection.js';
import { redisScript, runScript, type RedisScript } from './redis-script.js';

/**
 * BullMQ's `addBulk` of prioritized jobs in one Redis call per chunk instead of one script call
 * per job. Nothing of BullMQ is rewritten: BullMQ itself builds every job (its Job class, option
 * checks, msgpack and key layout: `RedisQueueBackend.addJobToTransaction`) into a recorder instead
 * of a pipeline, and one script runs BullMQ's own `addPrioritizedJob` Lua, as BullMQ defined it on
 * the connection, once per job in order. So ids, priorities, the priority counter, duplicates and
 * deduplication, markers and `waiting` events are BullMQ's own, whatever its version.
 *
 * Falls back to `queue.addBulk` whenever that exact path is not there (a BullMQ whose internals
 * moved, a job that is not a plain prioritized one, a connection that is not ioredis):
 * `bulkAddPath(queue)` tells which one a queue takes (a test pins the fast one on the installed
 * version). The API's client CPU for 1000 jobs: ~35-45 ms through addBulk (1000 commands built,
 * written and answered), ~16-24 ms this way (bench/README.md, "Batch submit").
 */
export async function addPrioritizedBulk<T>(queue: Queue<T>, jobs: readonly { name: string; data: T; opts: JobsOptions }[]): Promise<void> {
  if (jobs.length === 0) return;
  const recorded = await recordAdds(queue, jobs);
  if (!recorded) {
    await queue.addBulk(jobs.map((j) => ({ name: j.name, data: j.data, opts: j.opts })) as Parameters<Queue<T>['addBulk']>[0]);
    return;
  }
  const { client, script, keys, argv } = recorded;
  // Chunks bound how long one script holds Redis (~40 µs of Redis CPU per job).
  for (let from = 0; from < argv.length; from += CHUNK_JOBS * 3) {
    const ids = await runScript<unknown[]>(client, script, keys, argv.slice(from, from + CHUNK_JOBS * 3));
    const refused = ids.find((id) => typeof id === 'number' && id < 0);
    if (refused !== undefined) throw new Error(`BullMQ refused a job of the bulk add (code ${String(refused)})`);
  }
}

/** Which path `addPrioritizedBulk` takes for this queue: `script` (one call per chunk) or `addBulk`. */
export async function bulkAddPath(queue: Queue<unknown>): Promise<'script' | 'addBulk'> {
  const probe = await recordAdds(queue, [{ name: 'probe', data: {}, opts: { jobId: 'probe', priority: 1 } }]);
  return probe ? 'script' : 'addBulk';
}

const CHUNK_JOBS = 500;

/** BullMQ internals this relies on (checked at run time: any of them missing means `addBulk`). */
interface BullInternals {
  backend?: {
    version?: unknown;
    /** Resolves when BullMQ has connected and defined its scripts. */
    waitUntilReady?: () => Promise<void>;
    addJobToTransaction?: (client: unknown, job: unknown, jobId: unknown, parentKeyOpts: object) => Promise<unknown>;
  };
  Job?: new (queue: unknown, name: string, data: unknown, opts: JobsOptions, id?: string) => { id?: string; asJSON(): unknown; validateOptions(json: unknown): void };
  defaultJobOptions: JobsOptions;
}

interface Recorded {
  client: RedisClient;
  script: RedisScript;
  keys: string[];
  argv: (string | Buffer)[];
}

/** What BullMQ would send for these adds (one `addPrioritizedJob` call each, same keys), or null when it would send anything else. */
async function recordAdds<T>(queue: Queue<T>, jobs: readonly { name: string; data: T; opts: JobsOptions }[]): Promise<Recorded | null> {
  const bull = queue as unknown as BullInternals;
  const backend = bull.backend;
  const JobClass = bull.Job;
  if (!backend || typeof backend.version !== 'string' || typeof backend.addJobToTransaction !== 'function' || typeof backend.waitUntilReady !== 'function') return null;
  if (typeof JobClass !== 'function') return null;
  await backend.waitUntilReady(); // BullMQ has defined its scripts on the connection
  // The connection Gantry gave the queue, which BullMQ uses as it is (not a copy): its scripts are there.
  const client = queue.opts.connection as unknown as RedisClient & { scriptsSet?: Record<string, { lua?: unknown; numberOfKeys?: unknown } | undefined> };
  if (!(client instanceof Redis)) return null;
  const command = `addPrioritizedJob:${backend.version}`;
  const defined = client.scriptsSet?.[command];
  if (typeof defined?.lua !== 'string' || typeof defined.numberOfKeys !== 'number') return null;
  const numberOfKeys = defined.numberOfKeys;

  const calls: { name: string; args: unknown[] }[] = [];
  const recorder = {
    runCommand(name: string, args: unknown[]) {
      calls.push({ name, args });
      return Promise.resolve('recorded'); // read by BullMQ as the added job's id (any string: not a refusal)
    },
  };
  const defaults = bull.defaultJobOptions;
  try {
    await Promise.all(
      jobs.map((j) => {
        // What Queue.addBulk and Job.createBulk do for each job, in their order.
        const job = new JobClass(queue, j.name, j.data, { ...defaults, ...j.opts, jobId: j.opts.jobId }, j.opts.jobId);
        const json = job.asJSON();
        job.validateOptions(json);
        return backend.addJobToTransaction!(recorder, json, job.id, { parentKey: undefined, parentDependenciesKey: '' });
      }),
    );
  } catch {
    return null; // BullMQ's own path reports what is wrong
  }
  if (calls.length !== jobs.length) return null;
  const keys = calls[0]!.args.slice(0, numberOfKeys);
  const argv: (string | Buffer)[] = [];
  for (const call of calls) {
    if (call.name !== command || call.args.length !== numberOfKeys + 3) return null;
    for (let k = 0; k < numberOfKeys; k++) if (call.args[k] !== keys[k]) return null;
    for (let a = numberOfKeys; a < numberOfKeys + 3; a++) {
      const value = call.args[a];
      if (typeof value !== 'string' && !Buffer.isBuffer(value)) return null;
      argv.push(value);
    }
  }
  if (!keys.every((k): k is string => typeof k === 'string')) return null;
  const script = bulkScriptOf(defined.lua);
  return script ? { client, script, keys, argv } : null;
}

let bulkScript: RedisScript | undefined;

/**
 * BullMQ's script as a function of (KEYS, ARGV), called once per job: the body is BullMQ's text
 * unchanged (its `local`s and its final `return` are those of a function either way).
 */
function bulkScriptOf(lua: string): RedisScript | null {
  if (bulkScript?.lua.includes(lua)) return bulkScript;
  if (bulkScript) return null; // a second BullMQ text in one process: its own addBulk for that one
  if (lua.startsWith('#!')) return null; // a shebang (script flags) cannot sit inside a function
  bulkScript = redisScript(
    'gantryBullAddPrioritizedBulk',
    `local function addOne(KEYS, ARGV)\n${lua}\nend\n` +
      'local keys = {}\nfor i = 1, #KEYS do keys[i] = KEYS[i] end\n' +
      'local ids = {}\nfor i = 1, #ARGV, 3 do ids[#ids + 1] = addOne(keys, {ARGV[i], ARGV[i + 1], ARGV[i + 2]}) end\nreturn ids',
  );
  return bulkScript;
}
