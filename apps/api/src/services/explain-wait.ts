import type { Db, JobViewRead } from '@gantry/db';
import type { JobRequirements, QueueInfo } from '@gantry/domain';
import { countSucceededSince, listBackends } from '@gantry/db';
import { explainEligibility, jobNeed, parseJobInput, type HealthView } from '@gantry/fleet';
import { isRedisUnavailableError } from '@gantry/queue';
import type { ApiDeps } from '../context.js';
import { backendContext } from './backends/backend-context.js';
import { eligibilityOf } from './check-runnable.js';
import { RecentThroughput } from './recent-throughput.js';

/** One per database (several APIs in one test process each have their own). */
const throughputs = new WeakMap<Db, RecentThroughput>();

function recentThroughputPerMinute(db: Db): Promise<number> {
  let throughput = throughputs.get(db);
  if (!throughput) {
    throughput = new RecentThroughput((since) => countSucceededSince(db, since));
    throughputs.set(db, throughput);
  }
  return throughput.perMinute();
}

/**
 * Explains a queued job's wait: its place in the queue, how many backends could take it now (by
 * the eligibility rule of submit and dispatch: kind, tags, VRAM, node types, models, health,
 * drain), and an estimated start.
 */
export async function explainWait(deps: ApiDeps, job: Pick<JobViewRead, 'id' | 'kind' | 'workflow' | 'requirements'>): Promise<QueueInfo> {
  const [rank, backends, throughput] = await Promise.all([
    // The position is a nicety: a job read from PostgreSQL is answered without it while Redis is down.
    deps.redis.zrank(deps.queue.toKey('prioritized'), job.id).catch((err: unknown) => {
      if (isRedisUnavailableError(err)) return null;
      throw err;
    }),
    listBackends(deps.db),
    recentThroughputPerMinute(deps.db),
  ]);
  const need = jobNeed(parseJobInput(job.kind, job.workflow), job.requirements as JobRequirements | null);
  // Health cannot be read (Redis down): judge without it rather than fail the job's view.
  const health = await backendContext(deps).health.views(backends).catch(() => new Map<string, HealthView>());
  const eligible = backends.filter((b) => {
    const view = health.get(b.id);
    return explainEligibility(need, { ...eligibilityOf(b, view?.state ?? 'unknown'), draining: b.draining || (view?.draining ?? false) }).eligible;
  }).length;
  const position = rank ?? null;
  const estimatedStartAt =
    position !== null && throughput > 0 ? new Date(Date.now() + ((position + 1) / throughput) * 60_000).toISOString() : null;
  return { position, eligibleBackends: eligible, throughputPerMinute: Math.round(throughput * 100) / 100, estimatedStartAt };
}
