import { AppError } from '@gantry/domain';
import type { PromptStatus } from '../driver.js';
import { lookupUnsupported } from '../follow-errors.js';
import type { A1111Http } from './http.js';
import type { ImageStore } from './image-store.js';
import { readState } from './progress-poller.js';
import { readAllSaved } from './saved-images.js';
import { locateTask } from './task-control.js';

/** What a look-up borrows from its driver. */
export interface LookupDeps {
  http: A1111Http;
  store: ImageStore;
  backendId: string;
}

/**
 * What A1111 knows of a task sent with `force_task_id`. Its task API (`/internal/progress`) says
 * whether it waits or runs; a finished one is only "completed" for A1111's last 16 tasks, and
 * its images were only in the lost reply, unless they were also saved (saveOutputs): then they
 * are read back (and held for download) and are the proof that it succeeded, whatever the task
 * API remembers. A1111 cannot say why a job failed once its reply is gone, nor tell an
 * interrupted job from one that saved nothing: that is `unrecoverable`. Throws
 * BACKEND_UNAVAILABLE when the backend cannot be asked, and BACKEND_ERROR `lookup_unsupported`
 * when it has no task API and no saved images of the task.
 */
export async function lookupTask(deps: LookupDeps, taskId: string): Promise<PromptStatus> {
  const { http } = deps;
  let where = await locateTask(http, taskId);
  if (where === 'active') {
    const state = await readState(http);
    if (state === null || state.jobCount !== 0) return { state: 'running' };
    // Idle, yet ours is "current". A1111 calls finish_task before state.end() on success, so
    // asking again tells a task that just succeeded (completed) from one that raised (current
    // until the next one starts; gone once it did).
    where = await locateTask(http, taskId);
    if (where === 'active' || where === 'gone') return { state: 'failed', error: lostFailure(taskId) };
  }
  if (where === 'queued') return { state: 'pending' };
  const noTaskApi = 'A1111 has no task API (/internal/progress), e.g. --nowebui';
  // Without the task API, a running job may be ours, still saving its batch: only an idle server's files are whole.
  if (where === 'unsupported' && (await readState(http))?.jobCount) throw lookupUnsupported(taskId, deps.backendId, `${noTaskApi}, and a job is running`);
  const saved = await readAllSaved(http, taskId);
  if (saved.images.length > 0) {
    for (const { file, content } of saved.images) deps.store.put(file, content);
    return { state: 'succeeded', files: saved.images.map((i) => i.file) };
  }
  if (where === 'completed') {
    const reason = saved.refused
      ? `its saved images cannot be read back (GET /file= answered ${saved.refused}: the web UI is off, needs a login, or does not serve the output folder)`
      : 'no saved images: it was interrupted, or saving was off or refused (e.g. --hide-ui-dir-config)';
    return { state: 'unrecoverable', reason };
  }
  if (where === 'unsupported') throw lookupUnsupported(taskId, deps.backendId, noTaskApi);
  return { state: 'unknown' };
}

/**
 * The job raised an exception; A1111 said which only in the reply, now lost. Retryable: an OOM
 * (which is) cannot be told from other errors, and a failed job left nothing a retry would double.
 */
export function lostFailure(taskId: string): AppError {
  return new AppError('EXECUTION_ERROR', `txt2img task ${taskId} raised an exception on the backend; its error went with the lost reply`, {
    details: { promptId: taskId, reason: 'error_lost' },
    retryable: true,
  });
}
