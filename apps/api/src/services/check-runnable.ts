import { AppError, type SubmitJobInput } from '@gantry/domain';
import { listBackends, type Backend, type Db } from '@gantry/db';
import { FleetIndex, jobNeed, readBackendInfo, whyNoBackend, type EligibilityBackend, type JobInput, type JobNeed } from '@gantry/fleet';
import type { ApiDeps } from '../context.js';
import { checkModels } from './check-models.js';

/** What a submitted job needs from a backend (the rule dispatch applies too). */
function submittedNeed(input: SubmitJobInput): JobNeed {
  const job: JobInput = input.txt2img
    ? { kind: 'txt2img', params: input.txt2img }
    : input.img2img
      ? { kind: 'img2img', params: input.img2img }
      : { kind: 'workflow', workflow: input.workflow! };
  return jobNeed(job, input.requirements);
}

/** A backend row as eligibility sees it; `state`: its health when known (else `unknown`). */
function eligibilityOf(row: Backend, state: EligibilityBackend['state'] = 'unknown'): EligibilityBackend & { id: string } {
  return { id: row.id, kind: row.kind, tags: row.tags, info: readBackendInfo(row.info), state, draining: row.draining };
}

/** The API's in-memory fleet for submit: every registered backend, read again when a change is announced (FleetIndex). */
export function submitFleet(db: Db): FleetIndex {
  return new FleetIndex({ load: async () => (await listBackends(db)).map((r) => eligibilityOf(r)) });
}

/**
 * Refuses at submit a job that no registered backend could ever run, instead of leaving it
 * queued forever: a model no backend holds is MODEL_UNAVAILABLE (naming it); otherwise kind,
 * tags, VRAM, node types and models together are NO_ELIGIBLE_BACKEND with the reasons. Health
 * and draining do not count: they pass. With no backend registered yet (workers not started),
 * jobs are accepted. `fleetVersion`: the fleet's token as just read from Redis (undefined when it
 * could not be: the backends are read from PostgreSQL then).
 */
export async function assertRunnable(deps: Pick<ApiDeps, 'fleet'>, input: SubmitJobInput, fleetVersion: string | null | undefined): Promise<void> {
  (await runnableCheck(deps, fleetVersion))(input);
}

/**
 * The check of assertRunnable for many jobs: the backends are taken once (from memory unless the
 * fleet changed), then each job is judged in memory, once per distinct need (kind, tags, VRAM,
 * node types, models): a batch's jobs mostly share one, so the backends are gone through once,
 * not once per job. The verdict is a function of the need and the backends alone.
 */
export async function runnableCheck(deps: Pick<ApiDeps, 'fleet'>, fleetVersion: string | null | undefined): Promise<(input: SubmitJobInput) => void> {
  const backends = await deps.fleet.backends(fleetVersion);
  if (backends.length === 0) return () => undefined;
  // By the need's JSON (plain data: equal text, equal need); null: runnable. Jobs with one need
  // share one AppError (its stack is the first job's): a 4xx never shows it, and nothing writes to it.
  const verdicts = new Map<string, AppError | null>();
  return (input) => {
    const need = submittedNeed(input);
    const key = JSON.stringify(need);
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      verdict = refusalOf(need, backends);
      verdicts.set(key, verdict);
    }
    if (verdict) throw verdict;
  };
}

/** Why no backend can run a job with this need (MODEL_UNAVAILABLE, else NO_ELIGIBLE_BACKEND), or null when one can. */
function refusalOf(need: JobNeed, backends: readonly (EligibilityBackend & { id: string })[]): AppError | null {
  try {
    checkModels(need, backends);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  const reasons = whyNoBackend(need, backends);
  return reasons ? new AppError('NO_ELIGIBLE_BACKEND', 'No registered backend can run this job', { details: { reasons } }) : null;
}
