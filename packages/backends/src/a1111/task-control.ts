import { setTimeout as sleep } from 'node:timers/promises';
import { backendError, backendUnavailable } from '../comfyui/errors.js';
import { isRecord } from '../comfyui/messages.js';
import type { StructuredLogger } from '../logger.js';
import { parseJson, textOf, type A1111Http } from './http.js';

/**
 * Where a task (a request sent with `force_task_id`) is, from `POST /internal/progress`: running
 * (`active`; A1111 also leaves a task that raised "current" until the next one starts), waiting
 * for the GPU, `completed` (one of the last 16 to end without raising, interrupted ones
 * included), or none of these (`gone`: failed and superseded, older, or unknown). `unsupported`:
 * the server has no task API (e.g. started with `--nowebui`), so requests cannot be told apart.
 */
export type TaskWhereabouts = 'active' | 'queued' | 'completed' | 'gone' | 'unsupported';

/** Throws BACKEND_UNAVAILABLE/BACKEND_ERROR when the backend cannot answer. */
export async function locateTask(http: A1111Http, taskId: string): Promise<TaskWhereabouts> {
  const reply = await http.request('POST', '/internal/progress', { id_task: taskId, id_live_preview: -1, live_preview: false });
  if (reply.status === 404 || reply.status === 405) return 'unsupported';
  const body = parseJson(reply);
  if (reply.status >= 500) throw backendUnavailable(`POST /internal/progress answered ${reply.status}`, undefined, { status: reply.status });
  if (reply.status !== 200 || !isRecord(body)) throw backendError(`POST /internal/progress answered ${reply.status}`, { status: reply.status, body: textOf(reply) });
  return body.active === true ? 'active' : body.queued === true ? 'queued' : body.completed === true ? 'completed' : 'gone';
}

/**
 * Interrupts the backend's job only if it is task `taskId`: A1111's `/sdapi/v1/interrupt` stops
 * whatever runs, so checking first is what keeps us from stopping someone else's job. (A job of
 * ours that ends between the check and the interrupt leaves a window of one request, in which a
 * job starting right then would be stopped; A1111 offers nothing narrower.)
 */
export async function interruptTask(http: A1111Http, taskId: string): Promise<TaskWhereabouts> {
  const where = await locateTask(http, taskId);
  if (where === 'active') await http.json('POST', '/sdapi/v1/interrupt');
  return where;
}

/**
 * After an abort: interrupt the task once it runs. A request still waiting behind other work
 * cannot be withdrawn from A1111, so it is watched (every `pollMs`, until `deadline` or `stop`)
 * and interrupted as soon as it starts; so is one not known yet while `inFlight()` (the request
 * may not have reached the server). Resolves with how it ended; never rejects.
 */
export async function stopTask(
  http: A1111Http,
  taskId: string,
  opts: { pollMs: number; deadline: number; stop: AbortSignal; inFlight(): boolean },
  logger: StructuredLogger,
): Promise<TaskWhereabouts | 'timeout'> {
  while (!opts.stop.aborted && Date.now() < opts.deadline) {
    try {
      const where = await interruptTask(http, taskId);
      if (where !== 'queued' && !(where === 'gone' && opts.inFlight())) return where;
    } catch (err) {
      logger.warn({ taskId, err: String(err) }, 'a1111: could not check or interrupt the task; retrying');
    }
    // Unref'd: watching a stranded request must not keep the process alive.
    await sleep(opts.pollMs, undefined, { signal: opts.stop, ref: false }).catch(() => undefined);
  }
  return 'timeout';
}
