import { reuseKey } from '@gantry/domain';
import type { JobRow, NewJob } from '@gantry/db';
import type { ApiDeps } from '../context.js';

/**
 * Hands a new job to the job door. Every job gets its reuse key, computed from the job as it is
 * stored (inputs bound, and their content hashes), so any earlier success can answer a later `reuse: true` request; with
 * `reuse`, the newest identical success of the tenant answers this job at once (no run, no queue).
 * Without one, or with a random seed (no key), the job is queued as usual. `reserved`: see JobDoor.submit.
 */
export async function submitOrReuse(deps: ApiDeps, job: NewJob, tenantRank: number, reuse: boolean | undefined, reserved = false): Promise<JobRow> {
  const key = reuseKeyOf(job);
  if (reuse && key !== null) {
    const reused = await deps.jobs.submitReused({ ...job, reuseKey: key });
    if (reused) return reused;
  }
  return deps.jobs.submit({ ...job, reuseKey: key }, tenantRank, reserved);
}

/** The reuse key of a job as it is stored (bound inputs by content hash); null when it can never be reused (a random seed). */
export function reuseKeyOf(job: NewJob): string | null {
  const inputs = Object.fromEntries((job.inputs ?? []).map((i) => [i.name, i.sha256]));
  return reuseKey({ kind: job.kind ?? 'workflow', workflow: job.workflow, requirements: job.requirements, inputs });
}
