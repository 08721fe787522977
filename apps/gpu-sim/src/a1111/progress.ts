import type { FieldSpec } from './pydantic.js';
import type { SharedState, StateDict } from './shared-state.js';

/** `GET /sdapi/v1/progress`'s `ProgressResponse`. */
export interface ProgressResponse {
  progress: number;
  eta_relative: number;
  state: StateDict;
  current_image: string | null;
  textinfo: string | null;
}

/** `POST /internal/progress`'s body (`modules/progress.py` `ProgressRequest`). */
export const TASK_PROGRESS_FIELDS: Readonly<Record<string, FieldSpec>> = {
  id_task: { kind: 'str', default: null },
  id_live_preview: { kind: 'int', default: -1 },
  live_preview: { kind: 'bool', default: true },
};

/** `api.py` `progressapi`: idle (`job_count == 0`) is all zeros; otherwise 0.01 + done jobs + this job's steps. */
export function progressResponse(state: SharedState, skipCurrentImage: boolean, now = Date.now()): ProgressResponse {
  if (state.jobCount === 0) return { progress: 0, eta_relative: 0, state: state.dict(), current_image: null, textinfo: state.textinfo };
  // "avoid dividing zero", as A1111 says.
  let progress = 0.01;
  if (state.jobCount > 0) progress += state.jobNo / state.jobCount;
  if (state.samplingSteps > 0) progress += ((1 / state.jobCount) * state.samplingStep) / state.samplingSteps;
  const elapsed = (now - state.timeStart) / 1000;
  const etaRelative = elapsed / progress - elapsed;
  const image = state.currentImage && !skipCurrentImage ? state.currentImage.toString('base64') : null;
  return { progress: Math.min(progress, 1), eta_relative: etaRelative, state: state.dict(), current_image: image, textinfo: state.textinfo };
}

/**
 * `progress.py` `progressapi`: is the task with this id running, queued or done. Only the running
 * task gets numbers; a live preview is sent when there is a newer one than `id_live_preview`.
 */
export function taskProgress(state: SharedState, req: Record<string, unknown>, now = Date.now()): Record<string, unknown> {
  const id = req.id_task as string | null;
  // Python compares None == None too: with no id and nothing running, the "task" is active.
  const active = id === state.currentTask;
  const queued = id !== null && state.pendingTasks.has(id);
  const completed = id !== null && state.finishedTasks.includes(id);
  if (!active) {
    let textinfo = 'Waiting...';
    if (queued) {
      const order = [...state.pendingTasks.entries()].sort((a, b) => a[1] - b[1]).map(([task]) => task);
      textinfo = `In queue: ${order.indexOf(id!) + 1}/${order.length}`;
    }
    return { active, queued, completed, progress: null, eta: null, live_preview: null, id_live_preview: -1, textinfo };
  }
  let progress = 0;
  if (state.jobCount > 0) progress += state.jobNo / state.jobCount;
  if (state.samplingSteps > 0 && state.jobCount > 0) progress += ((1 / state.jobCount) * state.samplingStep) / state.samplingSteps;
  progress = Math.min(progress, 1);
  const elapsed = (now - state.timeStart) / 1000;
  const eta = progress > 0 ? elapsed / progress - elapsed : null;
  let livePreview: string | null = null;
  let idLivePreview = req.id_live_preview as number;
  if (req.live_preview === true && state.currentImage && state.idLivePreview !== idLivePreview) {
    livePreview = `data:image/png;base64,${state.currentImage.toString('base64')}`;
    idLivePreview = state.idLivePreview;
  }
  return { active, queued, completed, progress, eta, live_preview: livePreview, id_live_preview: idLivePreview, textinfo: state.textinfo };
}
