/**
 * The chaos scenarios, in run order. Each injects one kind of fault into a running Gantry; the
 * fault's lasting time is fixed (that sleep is the fault), everything else is waited for.
 * Supervisors are simulated where a real installation has them: a killed or stopped worker and a
 * killed API are started again, as systemd, Docker or Kubernetes would.
 */
import type { ManagedProcess } from '@gantry/testing';
import { isInFlight, type Ledger } from './ledger.js';
import { sleep } from './poll.js';
import type { RedisServer } from './redis-server.js';
import type { Injected, ScenarioEntry, World } from './scenario.js';

/** The backend the single-backend faults hit. */
const TARGET = 'sim2';
const SUPERVISOR_DELAY_MS = 1000;

const inFlight = (ledger: Ledger) => new Set([...ledger.values()].filter((j) => isInFlight(j.status)).map((j) => j.id));

/** The worker holding the most running jobs now. */
async function busiestWorker(world: World): Promise<{ worker: ManagedProcess; jobs: number }> {
  return world.fleet.busiestWorker(inFlight(await world.ledger()));
}

async function killWorker(world: World): Promise<{ at: number; note: string; restarted: Promise<void> }> {
  const { worker, jobs } = await busiestWorker(world);
  const at = Date.now();
  await worker.kill();
  return { at, note: `${worker.name} (${jobs} jobs in flight)`, restarted: world.fleet.restartLater(worker, SUPERVISOR_DELAY_MS) };
}

/** SIGTERM to the busiest worker; it stops by itself (bounded), then a supervisor starts it again. */
async function terminateWorker(world: World): Promise<Injected> {
  const { worker, jobs } = await busiestWorker(world);
  const at = Date.now();
  const stop = await worker.terminate(90_000);
  const how = stop.forced ? `did not stop within 90 s, SIGKILLed` : `exited ${stop.signal ?? `code ${stop.code}`} after ${(stop.elapsedMs / 1000).toFixed(1)} s`;
  return { hits: [at], end: stop.at, note: `SIGTERM ${worker.name} (${jobs} jobs in flight): ${how}`, settle: world.fleet.restartLater(worker, SUPERVISOR_DELAY_MS) };
}

/** Repeats `act` `times` times, `everyMs` apart; the hits are the times it ran. */
/** Redis SIGKILLed (a crash), down 2 s, started again: what it comes back with depends on its persistence. */
async function crashRedis(world: World, comesBack: string): Promise<Injected> {
  const redis = oneRedis(world);
  const at = Date.now();
  await redis.kill();
  await sleep(2000);
  await redis.restart();
  return { hits: [at], end: Date.now(), note: `redis-server SIGKILL, restarted after 2 s ${comesBack}` };
}

async function repeat(times: number, everyMs: number, act: () => Promise<string>): Promise<{ hits: number[]; notes: string[] }> {
  const hits: number[] = [];
  const notes: string[] = [];
  for (let i = 0; i < times; i++) {
    if (i > 0) await sleep(everyMs);
    hits.push(Date.now());
    notes.push(await act());
  }
  return { hits, notes };
}

const simByName = (world: World, name: string) => world.fleet.sims.find((s) => s.name === name)!;
const proxyOf = (world: World, name: string) => world.fleet.proxies[world.fleet.sims.indexOf(simByName(world, name))]!;

/** The scenario's single Redis server (every scenario but the Sentinel one has it). */
function oneRedis(world: World): RedisServer {
  if (!world.redis) throw new Error('this scenario needs a single Redis server (its `redis` is not sentinel)');
  return world.redis;
}

/**
 * The Sentinel master SIGKILLed (no shutdown, no last replication); the sentinels notice it
 * (down-after 1 s), agree and promote the replica. What the master acknowledged and had not yet
 * sent to the replica is gone: the reconciler puts the lost queue entries back from PostgreSQL.
 */
async function killSentinelMaster(world: World): Promise<Injected> {
  const set = world.sentinel;
  if (!set) throw new Error('sentinel-failover needs `redis: sentinel`');
  const old = await set.master();
  const at = Date.now();
  await old.kill();
  const promoted = await set.waitForNewMaster(old, 60_000);
  const end = Date.now();
  return { hits: [at], end, note: `master ${old.name} SIGKILL; sentinels promoted ${promoted.name} after ${((end - at) / 1000).toFixed(1)} s` };
}

export const SCENARIOS: ScenarioEntry[] = [
  {
    name: 'worker-kill',
    description: 'SIGKILL the worker holding the most running jobs, once; a supervisor restarts it 1 s later',
    short: true,
    trigger: { kind: 'running' },
    async inject(world) {
      const kill = await killWorker(world);
      return { hits: [kill.at], end: kill.at, note: `SIGKILL ${kill.note}`, settle: kill.restarted };
    },
  },
  {
    name: 'worker-kill-repeated',
    description: 'SIGKILL the busiest worker 4 times (2 with --short), 8 s apart, each restarted 1 s later',
    short: false,
    trigger: { kind: 'running' },
    async inject(world) {
      const restarts: Promise<void>[] = [];
      const { hits, notes } = await repeat(world.short ? 2 : 4, 8000, async () => {
        const kill = await killWorker(world);
        restarts.push(kill.restarted);
        return kill.note;
      });
      return { hits, end: hits.at(-1)!, note: `SIGKILL ${notes.join('; ')}`, settle: Promise.all(restarts) };
    },
  },
  {
    name: 'redis-restart-volatile',
    description: 'Redis without persistence (--save "" --appendonly no) killed, down 2 s, started empty',
    short: false,
    redis: 'none',
    trigger: { kind: 'running' },
    inject: (world) => crashRedis(world, 'with no data'),
  },
  {
    name: 'redis-restart-aof',
    description: 'Redis with --appendonly yes --appendfsync everysec killed (a crash), down 2 s, restarted from its AOF',
    short: true,
    redis: 'aof',
    trigger: { kind: 'running' },
    inject: (world) => crashRedis(world, 'from the AOF'),
  },
  {
    name: 'redis-connections-killed',
    description: 'CLIENT KILL of every Redis client connection (normal and pub/sub), 3 times, 1 s apart',
    short: false,
    trigger: { kind: 'running' },
    async inject(world) {
      const { hits, notes } = await repeat(3, 1000, async () => String(await oneRedis(world).killClients()));
      return { hits, end: hits.at(-1)!, note: `connections killed: ${notes.join(', ')}` };
    },
  },
  {
    name: 'postgres-restart',
    description: 'PostgreSQL stopped (pg_ctl -m immediate, a crash), down 5 s, started again',
    short: true,
    trigger: { kind: 'running' },
    async inject(world) {
      const at = Date.now();
      await world.postgres.server.stop('immediate');
      await sleep(5000);
      await world.postgres.server.start();
      return { hits: [at], end: Date.now(), note: `PostgreSQL down ${((Date.now() - at) / 1000).toFixed(1)} s (5 s + restart)` };
    },
  },
  {
    name: 'postgres-connections-killed',
    description: "pg_terminate_backend on every connection to Gantry's database, 5 times, 1 s apart",
    short: false,
    trigger: { kind: 'running' },
    async inject(world) {
      const { hits, notes } = await repeat(5, 1000, async () => String(await world.postgres.terminateConnections(world.database)));
      return { hits, end: hits.at(-1)!, note: `connections terminated: ${notes.join(', ')}` };
    },
  },
  {
    name: 'backend-5xx',
    description: `${TARGET} answers every ComfyUI HTTP request with 500 (gpu-sim httpErrorStatus) for 15 s (8 s with --short)`,
    short: false,
    trigger: { kind: 'running', backend: TARGET },
    async inject(world) {
      const sim = simByName(world, TARGET);
      const at = Date.now();
      await sim.setFaults({ httpErrorStatus: 500 });
      await sleep(world.short ? 8000 : 15_000);
      await sim.clearFaults();
      return { hits: [at], end: Date.now(), note: `${TARGET} HTTP 500 for ${((Date.now() - at) / 1000).toFixed(1)} s` };
    },
  },
  {
    name: 'backend-hang',
    description: `${TARGET} stops answering for good: its proxy holds every connection, open and new, and forwards nothing`,
    short: false,
    trigger: { kind: 'running', backend: TARGET },
    async inject(world) {
      const proxy = proxyOf(world, TARGET);
      const at = Date.now();
      await proxy.setMode('hang');
      return { hits: [at], end: at, note: `${TARGET} proxy hangs ${proxy.connections} open connections and every new one`, lostForGood: [{ backend: TARGET, at }] };
    },
  },
  {
    name: 'backend-socket-drop',
    description: 'every connection between workers and backends reset (all proxies), 3 times, 2 s apart',
    short: true,
    trigger: { kind: 'running' },
    async inject(world) {
      const { hits, notes } = await repeat(3, 2000, async () => String(world.fleet.proxies.reduce((n, p) => n + p.dropAll(), 0)));
      return { hits, end: hits.at(-1)!, note: `connections reset: ${notes.join(', ')}` };
    },
  },
  {
    name: 'backend-gone',
    description: `${TARGET} SIGKILLed and its address refuses connections for the rest of the run`,
    short: false,
    trigger: { kind: 'running', backend: TARGET },
    async inject(world) {
      const at = Date.now();
      await proxyOf(world, TARGET).setMode('refuse');
      await simByName(world, TARGET).kill();
      return { hits: [at], end: at, note: `${TARGET} killed, connections refused`, lostForGood: [{ backend: TARGET, at }] };
    },
  },
  {
    name: 'api-kill-burst',
    description: 'SIGKILL the API during the submit burst; a supervisor restarts it; clients retry with the same Idempotency-Key',
    short: true,
    trigger: { kind: 'submitting' },
    async inject(world) {
      const api = world.fleet.api;
      const accepted = world.submits.accepted.length;
      const at = Date.now();
      await api.kill();
      await sleep(SUPERVISOR_DELAY_MS);
      await api.start();
      return { hits: [at], end: Date.now(), note: `API SIGKILL after ${accepted}/${world.jobCount} accepted, back after ${((Date.now() - at) / 1000).toFixed(1)} s` };
    },
  },
  {
    name: 'worker-sigterm-grace',
    description: 'SIGTERM the busiest worker with the default grace (GANTRY_SHUTDOWN_GRACE_MS 30 s); restarted after it exits',
    short: false,
    trigger: { kind: 'running' },
    inject: terminateWorker,
  },
  {
    name: 'worker-sigterm-no-grace',
    description: 'SIGTERM the busiest worker with GANTRY_SHUTDOWN_GRACE_MS=0 (running jobs handed back at once); restarted after it exits',
    short: false,
    workerEnv: { GANTRY_SHUTDOWN_GRACE_MS: '0' },
    trigger: { kind: 'running' },
    inject: terminateWorker,
  },
  {
    name: 'sentinel-failover',
    description: 'Redis master (behind 3 sentinels, one replica) SIGKILLed; Sentinel promotes the replica; Gantry follows it',
    short: true,
    redis: 'sentinel',
    trigger: { kind: 'running' },
    inject: killSentinelMaster,
  },
];
