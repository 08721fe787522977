import { AppError, type SubmitJobInput } from '@gantry/domain';
import { listBackends, type Backend, type Db } from '@gantry/db';
import { jobNeed, readBackendInfo, whyNoBackend, type EligibilityBackend, type JobInput, type JobNeed } from '@gantry/fleet';
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
export function eligibilityOf(row: Backend, state: EligibilityBackend['state'] = 'unknown'): EligibilityBackend & { id: string } {
  return { id: row.id, kind: row.kind, tags: row.tags, info: readBackendInfo(row.info), state, draining: row.draining };
}

/**
 * Refuses at submit a job that no registered backend could ever run, instead of leaving it
 * queued forever: a model no backend holds is MODEL_UNAVAILABLE (naming it); otherwise kind,
 * tags, VRAM, node types and models together are NO_ELIGIBLE_BACKEND with the reasons. Health
 * and draining do not count: they pass. With no backend registered yet (workers not started),
 * jobs are accepted.
 */
export async function assertRunnable(db: Db, input: SubmitJobInput): Promise<void> {
  (await runnableCheck(db))(input);
}

/**
 * The check of assertRunnable for many jobs: the backends are read once, then each job is judged
 * in memory (a batch of a thousand costs one query).
 */
export async function runnableCheck(db: Db): Promise<(input: SubmitJobInput) => void> {
  const rows = await listBackends(db);
  if (rows.length === 0) return () => undefined;
  const backends = rows.map((r) => eligibilityOf(r));
  return (input) => {
    const need = submittedNeed(input);
    checkModels(need, backends);
    const reasons = whyNoBackend(need, backends);
    if (reasons) {
      throw new AppError('NO_ELIGIBLE_BACKEND', 'No registered backend can run this job', { details: { reasons } });
    }
  };
}
