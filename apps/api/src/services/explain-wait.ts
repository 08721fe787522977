import type { Db, JobViewRead } from '@gantry/db';
import type { JobRequirements, QueueInfo } from '@gantry/domain';
import { countSucceededSince } from '@gantry/db';
import { explainEligibility, jobNeed, parseJobInput, type BackendHealth, type HealthView, type JobNeed } from '@gantry/fleet';
import { fleetVersionKey, isRedisUnavailableError } from '@gantry/queue';
import type { ApiDeps } from '../context.js';
import { backendContext } from './backends/backend-context.js';
import { RecentThroughput } from './recent-throughput.js';

/** One per database (several APIs in one test process each have their own). */
const throughputs = new WeakMap<Db, RecentThroughput>();
/** The health reader of each API, built on its first estimate rather than on every one. */
const healthReaders = new WeakMap<ApiDeps, BackendHealth>();

function healthOf(deps: ApiDeps): BackendHealth {
  let health = healthReaders.get(deps);
  if (!health) {
    health = backendContext(deps).health;
    healthReaders.set(deps, health);
  }
  return health;
}

function recentThroughputPerMinute(db: Db): Promise<number> {
  let throughput = throughputs.get(db);
  if (!throughput) {
    throughput = new RecentThroughput((since) => countSucceededSince(db, since));
    throughputs.set(db, throughput);
  }
  return throughput.perMinute();
}

/** How many queued jobs' needs are remembered (clients poll the same queued jobs). */
const NEEDS_KEPT = 1000;
/** What each recently viewed queued job needs, by database and id: a job's workflow and requirements never change. */
const needsByDb = new WeakMap<Db, Map<string, JobNeed>>();

/** The job's need, parsed from its workflow (zod) once per job rather than on every view. */
function needOf(db: Db, job: Pick<JobViewRead, 'id' | 'kind' | 'workflow' | 'requirements'>): JobNeed {
  let needs = needsByDb.get(db);
  if (!needs) {
    needs = new Map();
    needsByDb.set(db, needs);
  }
  let need = needs.get(job.id);
  if (!need) {
    need = jobNeed(parseJobInput(job.kind, job.workflow), job.requirements as JobRequirements | null);
    if (needs.size >= NEEDS_KEPT) needs.delete(needs.keys().next().value!);
    needs.set(job.id, need);
  }
  return need;
}

/** The fleet's version token (announceFleetChange); undefined when Redis did not answer (the backends are read from PostgreSQL then). */
function fleetVersion(deps: ApiDeps): Promise<string | null | undefined> {
  return deps.redis.get(fleetVersionKey(deps.queue.opts.prefix ?? 'gantry')).catch(() => undefined);
}

/**
 * Explains a queued job's wait: its place in the queue, how many backends could take it now (by
 * the eligibility rule of submit and dispatch: kind, tags, VRAM, node types, models, health,
 * drain), and an estimated start. The backends are submit's in-memory fleet (`deps.fleet`, read
 * again from PostgreSQL when a change of the `backends` table is announced in Redis); their health
 * is read from Redis at every view, in the same round trip as the fleet's token when the fleet
 * kept is still current (else once more, for the backends read again).
 */
export async function explainWait(deps: ApiDeps, job: Pick<JobViewRead, 'id' | 'kind' | 'workflow' | 'requirements'>): Promise<QueueInfo> {
  const health = healthOf(deps);
  // Health cannot be read (Redis down): judge without it rather than fail the job's view.
  const healthOfBackends = (list: readonly { id: string; draining: boolean }[]) => health.views(list).catch(() => new Map<string, HealthView>());
  const kept = deps.fleet.kept();
  const [rank, version, throughput, keptHealth] = await Promise.all([
    // The position is a nicety: a job read from PostgreSQL is answered without it while Redis is down.
    deps.redis.zrank(deps.queue.toKey('prioritized'), job.id).catch((err: unknown) => {
      if (isRedisUnavailableError(err)) return null;
      throw err;
    }),
    fleetVersion(deps),
    recentThroughputPerMinute(deps.db),
    kept ? healthOfBackends(kept) : null,
  ]);
  const backends = await deps.fleet.backends(version);
  const need = needOf(deps.db, job);
  const views = keptHealth && backends === kept ? keptHealth : await healthOfBackends(backends);
  const eligible = backends.filter((b) => {
    const view = views.get(b.id);
    return explainEligibility(need, { ...b, state: view?.state ?? 'unknown', draining: b.draining || (view?.draining ?? false) }).eligible;
  }).length;
  const position = rank ?? null;
  const estimatedStartAt =
    position !== null && throughput > 0 ? new Date(Date.now() + ((position + 1) / throughput) * 60_000).toISOString() : null;
  return { position, eligibleBackends: eligible, throughputPerMinute: Math.round(throughput * 100) / 100, estimatedStartAt };
}
