/**
 * Runs one scenario from start to audit: a fresh Redis (the scenario's persistence, or a Sentinel
 * set), a fresh
 * database cloned from the migrated template, the fleet (sims, proxies, API, workers); submits
 * the jobs, waits for the trigger, injects the fault, waits (bounded) for every accepted job to
 * end, then audits the database against the backends' execution journals. Everything the
 * scenario started is stopped and removed before it returns, whatever happened.
 */
import { auditJobs, type AuditSummary } from './audit.js';
import { stopRequested } from './cleanup.js';
import { readExecutions } from './executions.js';
import { Fleet } from './fleet.js';
import { isInFlight, isTerminal, readLedger, type Ledger } from './ledger.js';
import { pollUntil } from './poll.js';
import { startRedisSentinel, type RedisSentinelSet } from '@gantry/testing';
import { onCleanup } from './cleanup.js';
import type { ChaosPostgres } from './postgres.js';
import { QueueView } from './queue-view.js';
import { computeRecovery, type Recovery } from './recovery.js';
import { RedisServer } from './redis-server.js';
import type { Scenario, Trigger, World } from './scenario.js';
import { SubmitRun } from './submit.js';
import { waitForTrigger, watchUntilDone } from './watch.js';

export interface RunSettings {
  jobs: number;
  short: boolean;
  sims: number;
  workers: number;
  stepMs: number;
  steps: number;
  /** Give up waiting when nothing was written for this long (must outlast Gantry's slowest legitimate quiet time). */
  idleMs: number;
  /** Hard bound on the wait after the fault. */
  maxWaitMs: number;
  /** Template database with the migrations applied. */
  template: string;
}

export interface ScenarioResult {
  name: string;
  description: string;
  durationMs: number;
  note: string;
  audit: AuditSummary | null;
  recovery: Recovery | null;
  endedBy: string;
  /** Lines that did not parse in the execution journals. */
  unreadableExecutions: number;
  /** Set when the scenario could not be carried out (not an audit failure). */
  error: string | null;
  /** The promise held: every accepted job terminal exactly once, no duplicate, outputs ok, recovered. */
  passed: boolean;
}

export async function runScenario(scenario: Scenario, index: number, postgres: ChaosPostgres, settings: RunSettings): Promise<ScenarioResult> {
  const started = Date.now();
  const log = (line: string) => console.log(`[chaos ${scenario.name} +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);
  const database = `chaos_${index}_${scenario.name.replace(/[^a-z0-9]/g, '_')}`;
  const result: ScenarioResult = { name: scenario.name, description: scenario.description, durationMs: 0, note: '', audit: null, recovery: null, endedBy: '', unreadableExecutions: 0, error: null, passed: false };
  let redis: RedisServer | null = null;
  let sentinel: { set: RedisSentinelSet; stop(): Promise<void> } | null = null;
  let fleet: Fleet | null = null;
  let queue: QueueView | null = null;
  try {
    if (scenario.redis === 'sentinel') sentinel = await startSentinelSet();
    else redis = await RedisServer.start(scenario.redis ?? 'aof');
    const redisUrl = sentinel?.set.url ?? redis!.url;
    const databaseUrl = await postgres.createDatabase(database, settings.template);
    log(`starting ${settings.sims} gpu-sims behind proxies, the API and ${settings.workers} workers`);
    fleet = await Fleet.start({ label: scenario.name, databaseUrl, redisUrl, sims: settings.sims, workers: settings.workers, stepMs: settings.stepMs, workerEnv: scenario.workerEnv });
    queue = new QueueView(redisUrl);
    const submits = new SubmitRun({
      apiUrl: fleet.api.url,
      adminKey: fleet.adminKey,
      count: settings.jobs,
      concurrency: 8,
      markerPrefix: `chaos-${scenario.name}-${started.toString(36)}`,
      steps: settings.steps,
      retryForMs: 120_000,
    });
    log(`submitting ${settings.jobs} jobs`);
    const world: World = { fleet, redis, sentinel: sentinel?.set ?? null, postgres, database, submits, jobCount: settings.jobs, short: settings.short, ledger: () => readLedger(databaseUrl), log };
    await waitForMoment(world, databaseUrl, scenario.trigger, settings.jobs);

    const injected = await scenario.inject(world);
    result.note = injected.note;
    log(`fault: ${injected.note}`);
    const watched = await watchUntilDone({
      databaseUrl,
      queue,
      accepted: () => submits.accepted,
      submitting: () => !submits.done,
      faultEnd: injected.end,
      idleMs: settings.idleMs,
      deadline: Date.now() + settings.maxWaitMs,
      log,
    });
    result.endedBy = watched.endedBy;
    await injected.settle;
    const outcomes = await submits.finished;
    const refused = outcomes.filter((o) => !o.jobId);
    if (refused.length > 0) log(`${refused.length} submits never accepted, e.g. ${refused[0]!.marker}: ${refused[0]!.error}`);

    // The audit reads the record once more: the watch may have ended on a stale read.
    const ledger = await pollUntil('the database for the audit', 60_000, 500, () => readLedger(databaseUrl).catch(() => undefined));
    const executions = readExecutions(fleet.journalFiles);
    result.unreadableExecutions = executions.unreadable;
    result.audit = auditJobs(submits.accepted, ledger, executions.records, injected.lostForGood);
    const acceptedRows = submits.accepted.map((a) => ledger.get(a.jobId)).filter((j) => j !== undefined);
    result.recovery = computeRecovery(injected, acceptedRows, watched.queueWholeAt);
    const a = result.audit;
    result.passed =
      a.accepted > 0 && a.lost === 0 && a.terminalOnce === a.accepted && a.duplicates === 0 && a.outputsOk === a.accepted && result.recovery.ms !== null && executions.unreadable === 0;
    log(`audit: ${a.accepted} accepted, ${a.terminalOnce} terminal once, ${a.lost} lost, ${a.duplicates} duplicated, ${a.rerunsAfterLoss} rerun after a backend was lost, ${a.outputsOk} outputs ok; recovery ${result.recovery.ms === null ? 'never' : `${(result.recovery.ms / 1000).toFixed(1)} s`} (${result.recovery.reason})`);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    if (!stopRequested()) {
      log(`could not be carried out: ${result.error}`);
      if (fleet) console.error(fleet.harness.report(20));
    }
  } finally {
    await queue?.close();
    await fleet?.close();
    await redis?.stop();
    await sentinel?.stop();
    await postgres.dropDatabase(database).catch(() => undefined);
    result.durationMs = Date.now() - started;
  }
  return result;
}

/** A master, a replica and three sentinels (@gantry/testing), stopped at cleanup at the latest. */
async function startSentinelSet(): Promise<{ set: RedisSentinelSet; stop(): Promise<void> }> {
  const set = await startRedisSentinel({ sentinels: 3, masterName: 'gantry-chaos' });
  return { set, stop: onCleanup(`redis sentinel set ${set.url}`, () => set.close()) };
}

/** Waits for the scenario's trigger: mid-run, so the fault meets jobs in every state. */
async function waitForMoment(world: World, databaseUrl: string, trigger: Trigger, jobs: number): Promise<void> {
  if (trigger.kind === 'submitting') {
    const third = Math.ceil(jobs / 3);
    await pollUntil(`${third} jobs accepted`, 180_000, 50, async () => (world.submits.accepted.length >= third ? true : world.submits.done ? true : undefined));
    if (world.submits.accepted.length < third) throw new Error(`submits ended with ${world.submits.accepted.length} accepted before the fault`);
    return;
  }
  // A fifth of the jobs ended, and work in flight (on the target backend when there is one).
  const what = `${Math.ceil(jobs / 5)} jobs ended and a job in flight${trigger.backend ? ` on ${trigger.backend}` : ''}`;
  await waitForTrigger(databaseUrl, what, 240_000, (ledger: Ledger) => {
    const rows = [...ledger.values()];
    const ended = rows.filter((j) => isTerminal(j.status)).length;
    const flying = rows.filter((j) => isInFlight(j.status) && (!trigger.backend || lastBackend(j.states) === trigger.backend));
    return ended >= jobs / 5 && flying.length > 0 && ended < jobs;
  });
}

/** The backend of the job's latest dispatch (`dispatched` events name it). */
function lastBackend(states: Array<{ backend: string | null }>): string | null {
  for (let i = states.length - 1; i >= 0; i--) if (states[i]!.backend) return states[i]!.backend;
  return null;
}
