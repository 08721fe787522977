import { AppError, workflowNodeTypes, type SubmitJobInput } from '@gantry/domain';
import { listBackends, type Db } from '@gantry/db';
import { readBackendInfo, whyNoBackend, type JobNeed } from '@gantry/fleet';

/** What a submitted job needs from a backend. */
export function jobNeed(input: SubmitJobInput): JobNeed {
  return {
    ...(input.requirements?.tags ? { tags: input.requirements.tags } : {}),
    ...(input.requirements?.vramMb ? { vramMb: input.requirements.vramMb } : {}),
    nodeTypes: input.workflow ? workflowNodeTypes(input.workflow) : [],
    kind: input.txt2img || input.img2img ? 'a1111' : 'comfyui',
  };
}

/**
 * Refuses at submit a job that no registered backend could ever run (kind, tags, VRAM, node
 * types), with the reasons, instead of leaving it queued forever. Health and draining do not
 * count: they pass. With no backend registered yet (workers not started), jobs are accepted.
 */
export async function assertRunnable(db: Db, input: SubmitJobInput): Promise<void> {
  const rows = await listBackends(db);
  if (rows.length === 0) return;
  const reasons = whyNoBackend(
    jobNeed(input),
    rows.map((r) => ({ id: r.id, kind: r.kind, tags: r.tags, info: readBackendInfo(r.info), state: 'unknown' as const, draining: r.draining })),
  );
  if (reasons) {
    throw new AppError('NO_ELIGIBLE_BACKEND', 'No registered backend can run this job', { details: { reasons } });
  }
}
