import type { Db, JobViewRead } from '@gantry/db';
import type { JobRequirements, QueueInfo } from '@gantry/domain';
import { countSucceededSince } from '@gantry/db';
import { explainEligibility, jobNeed, parseJobInput, type BackendHealth, type HealthView, type IndexedBackend, type JobNeed } from '@gantry/fleet';
import { fleetVersionKey, isRedisUnavailableError, runScript } from '@gantry/queue';
import type { ApiDeps } from '../context.js';
import { backendContext } from './backends/backend-context.js';
import { QUEUE_PLACE } from './queue-place-script.js';
import { RecentThroughput } from './recent-throughput.js';
import { ReusedRead } from './reused-read.js';

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
/**
 * What each recently viewed queued job needs, by database and tenant + id (`seenKey`): a job's
 * workflow and requirements never change, and another tenant's view of the same id neither finds
 * nor forgets the owner's entry.
 */
const needsByDb = new WeakMap<Db, Map<string, JobNeed>>();

function seenKey(tenantId: string, id: string): string {
  return `${tenantId} ${id}`;
}

/** The job's need, parsed from its workflow (zod) once per job rather than on every view. */
function needOf(db: Db, tenantId: string, job: Pick<JobViewRead, 'id' | 'kind' | 'workflow' | 'requirements'>): JobNeed {
  let needs = needsByDb.get(db);
  if (!needs) {
    needs = new Map();
    needsByDb.set(db, needs);
  }
  const key = seenKey(tenantId, job.id);
  let need = needs.get(key);
  if (!need) {
    need = jobNeed(parseJobInput(job.kind, job.workflow), job.requirements as JobRequirements | null);
    if (needs.size >= NEEDS_KEPT) needs.delete(needs.keys().next().value!);
    needs.set(key, need);
  }
  return need;
}

/** The fleet's version token (announceFleetChange); undefined when Redis did not answer (the backends are read from PostgreSQL then). */
function fleetVersion(deps: ApiDeps): Promise<string | null | undefined> {
  return deps.redis.get(fleetVersionKey(deps.queue.opts.prefix ?? 'gantry')).catch(() => undefined);
}

/**
 * How long one judgement of the fleet (its backends and their health) is reused by the views of
 * queued jobs: as long as a busy fleet's throughput (recent-throughput.ts). A change of the fleet
 * or of a backend's health shows in the estimates within this bound, not at the next view.
 */
export const FLEET_JUDGEMENT_MAX_AGE_MS = 1_000;

/** The fleet as the wait estimate judges it: the backends and their health, read at `at`. */
interface Judgement {
  at: number;
  backends: readonly IndexedBackend[];
  views: ReadonlyMap<string, HealthView>;
  /** How many of these backends could take a need, counted once per need. */
  eligible: WeakMap<JobNeed, number>;
}

/**
 * The fleet's judgement of one API, reused for FLEET_JUDGEMENT_MAX_AGE_MS from when its read began
 * (concurrent views share the read in flight): a view of a queued job then reads only its place in
 * the queue, not the fleet's token and every backend's health (bench/README.md, "Reads").
 */
class FleetJudgements {
  private readonly reused: ReusedRead<Judgement>;

  constructor(judge: () => Promise<Pick<Judgement, 'backends' | 'views'>>, now: () => number = Date.now) {
    this.reused = new ReusedRead(async (at) => ({ at, ...(await judge()), eligible: new WeakMap() }), FLEET_JUDGEMENT_MAX_AGE_MS, now);
  }

  get(): Promise<Judgement> {
    return this.reused.get();
  }
}

/** What an API's wait estimates reuse: the fleet's judgement (a job's place in the queue is read at each view). */
export interface EstimateReuse {
  judgements: FleetJudgements;
}

const reuses = new WeakMap<ApiDeps, EstimateReuse>();

/** An API's reuse, made on first use; `now` (a test's clock) is taken by the first caller only. */
export function estimateReuse(deps: ApiDeps, now: () => number = Date.now): EstimateReuse {
  let reuse = reuses.get(deps);
  if (!reuse) {
    reuse = { judgements: new FleetJudgements(() => judgeFleet(deps), now) };
    reuses.set(deps, reuse);
  }
  return reuse;
}

/**
 * Reads the fleet: submit's in-memory backends (`deps.fleet`, read again from PostgreSQL when a
 * change of the `backends` table is announced in Redis) and their health from Redis, in the same
 * round trip as the fleet's token when the fleet kept is still current (else once more, for the
 * backends read again).
 */
async function judgeFleet(deps: ApiDeps): Promise<Pick<Judgement, 'backends' | 'views'>> {
  const health = healthOf(deps);
  // Health cannot be read (Redis down): judge without it rather than fail the job's view.
  const healthOfBackends = (list: readonly { id: string; draining: boolean }[]) => health.views(list).catch(() => new Map<string, HealthView>());
  const kept = deps.fleet.kept();
  const [version, keptHealth] = await Promise.all([fleetVersion(deps), kept ? healthOfBackends(kept) : null]);
  const backends = await deps.fleet.backends(version);
  const views = keptHealth && backends === kept ? keptHealth : await healthOfBackends(backends);
  return { backends, views };
}

/** How many backends of the judgement could take the need now (the rule of submit and dispatch). */
function eligibleFor(judgement: Judgement, need: JobNeed): number {
  let count = judgement.eligible.get(need);
  if (count === undefined) {
    count = judgement.backends.filter((b) => {
      const view = judgement.views.get(b.id);
      return explainEligibility(need, { ...b, state: view?.state ?? 'unknown', draining: b.draining || (view?.draining ?? false) }).eligible;
    }).length;
    judgement.eligible.set(need, count);
  }
  return count;
}

/** A read's outcome, kept to be answered later: a read begun early may be awaited late, or not at all. */
type Settled<T> = { value: T } | { error: unknown };

function settle<T>(read: Promise<T>): Promise<Settled<T>> {
  return read.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

function valueOf<T>(settled: Settled<T>): T {
  if ('error' in settled) throw settled.error;
  return settled.value;
}

/** What a queued job's estimate reads besides the job: its place in the queue, the fleet's throughput and judgement. */
type EstimateReads = Promise<[Settled<number | null>, Settled<number>, Settled<Judgement>]>;

/**
 * A queued job's place in BullMQ's priority set (0 = next); a job a worker has taken already and
 * that waits there for a slot (let in for one about to free, or finding none free yet) is next too:
 * 0. Null when the queue holds neither (QUEUE_PLACE: one round trip whichever it is).
 */
async function placeInQueue(deps: ApiDeps, id: string): Promise<number | null> {
  const place = await runScript<number>(deps.redis, QUEUE_PLACE, [deps.queue.toKey('prioritized'), deps.queue.toKey('active')], [id]);
  return place < 0 ? null : place;
}

/** Begins the estimate's reads of a job; never rejects (each outcome is answered by explainWait). */
function readEstimate(deps: ApiDeps, id: string): EstimateReads {
  return Promise.all([
    // The position is a nicety: a job read from PostgreSQL is answered without it while Redis is down.
    settle(
      placeInQueue(deps, id).catch((err: unknown) => {
        if (isRedisUnavailableError(err)) return null;
        throw err;
      }),
    ),
    settle(recentThroughputPerMinute(deps.db)),
    settle(estimateReuse(deps).judgements.get()),
  ]);
}

/**
 * The view of a job this API last saw queued begins its estimate's reads (its place in the queue;
 * the throughput, counted at each view on a quiet fleet; the fleet's judgement, when not reused)
 * before reading its row, so those round trips overlap the row's instead of following it: the
 * estimate is as fresh as before (read at this view, nothing more reused), a round trip sooner.
 * Known: the jobs whose need is kept (needOf, each queued job viewed); a view that finds the job
 * gone or no longer queued forgets it (forgetQueued), so a finished job's views read only their
 * row. Every client polling a queued job gets it from its second view on, whatever its rate.
 */
export function estimateIfSeenQueued(deps: ApiDeps, tenantId: string, id: string): EarlyEstimate | undefined {
  const need = needsByDb.get(deps.db)?.get(seenKey(tenantId, id));
  return need ? { reads: readEstimate(deps, id), need } : undefined;
}

/** The estimate's reads begun alongside a queued job's row, and its need as kept then: its view need not read the workflow. */
export interface EarlyEstimate {
  reads: EstimateReads;
  need: JobNeed;
}

/** A view found the tenant's job missing or no longer queued: its next views do not begin its estimate early. */
export function forgetQueued(deps: ApiDeps, tenantId: string, id: string): void {
  needsByDb.get(deps.db)?.delete(seenKey(tenantId, id));
}

/**
 * Explains a queued job's wait: its place in the queue, how many backends could take it now (by
 * the eligibility rule of submit and dispatch: kind, tags, VRAM, node types, models, health,
 * drain), each read at most FLEET_JUDGEMENT_MAX_AGE_MS ago, and an estimated start (from the
 * fleet's recent throughput, recent-throughput.ts: as old as that at most too). `early`: those
 * reads as begun alongside the job's row, with the need kept then (estimateIfSeenQueued: the row
 * was read without the workflow), else begun now and the need from the row's workflow.
 */
export async function explainWait(deps: ApiDeps, tenantId: string, job: Pick<JobViewRead, 'id' | 'kind' | 'workflow' | 'requirements'>, early?: EarlyEstimate): Promise<QueueInfo> {
  const [rankRead, throughputRead, judgementRead] = await (early?.reads ?? readEstimate(deps, job.id));
  const rank = valueOf(rankRead);
  const throughput = valueOf(throughputRead);
  const judgement = valueOf(judgementRead);
  const eligible = eligibleFor(judgement, early?.need ?? needOf(deps.db, tenantId, job));
  const position = rank ?? null;
  const estimatedStartAt =
    position !== null && throughput > 0 ? new Date(Date.now() + ((position + 1) / throughput) * 60_000).toISOString() : null;
  return { position, eligibleBackends: eligible, throughputPerMinute: Math.round(throughput * 100) / 100, estimatedStartAt };
}
