import { backoffDelay, delay as wait, type AppError } from '@gantry/domain';
import type { BackendDriver } from '@gantry/backends';
import type { JobRow } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import { jobRecoveryMetrics } from '@gantry/metrics';
import type { JobEventSink } from '../events/job-event-sink.js';
import type { WorkerDeps } from './context.js';
import { recordSuccess } from './record-success.js';
import { followPrompt, type SubmittedPrompt } from './run-on-backend.js';

/** Why the backend is being asked: the situations in which a blind rerun could run a prompt twice. */
export type AskSituation = 'worker_lost' | 'success_path_error' | 'shutdown';

/** What asking the backend settled. */
export type AskOutcome =
  /** The prompt had finished: its outputs were collected and the success recorded. */
  | { kind: 'collected' }
  /** It was still pending or running: it was followed to its end and its success recorded. */
  | { kind: 'followed' }
  /** It finished with an error, as a run would have rejected. */
  | { kind: 'failed'; error: AppError }
  /** It was interrupted on the backend (a cancel, a shutdown, a stall). */
  | { kind: 'interrupted' }
  /** The backend does not know it (never arrived, deleted, restarted), or cannot be asked: it must run again. */
  | { kind: 'absent'; why: 'unknown' | 'unrecoverable' | 'unreachable' | 'not-in-fleet' }
  /** It is still on the backend and following was not wanted (a stopping worker). */
  | { kind: 'still-running' }
  /** The success was recorded by someone else meanwhile. */
  | { kind: 'moved-on' };

/**
 * Exactly-once results: before a prompt that reached a backend is run again, ask that backend what
 * became of it (ComfyUI `/history/{id}`, A1111's task state). A finished prompt's outputs are
 * collected instead of running it again; one still pending or running is followed (`follow`) rather
 * than doubled. Every duplicate run avoided is counted and logged.
 */
export async function askBackend(
  deps: WorkerDeps,
  job: JobRow,
  prompt: SubmittedPrompt,
  options: { situation: AskSituation; follow: boolean; signal: AbortSignal; sink: JobEventSink; log: Logger },
): Promise<AskOutcome> {
  const { situation, log } = options;
  const member = deps.fleet.member(prompt.backendId);
  if (!member) return { kind: 'absent', why: 'not-in-fleet' };
  const status = await lookupPatiently(deps, member.driver, prompt, options.signal, log);
  if (!status) return { kind: 'absent', why: 'unreachable' };
  switch (status.state) {
    case 'succeeded': {
      const done = await recordSuccess(deps, job, member.driver, status.files, 1, options.sink);
      if (!done) return { kind: 'moved-on' };
      avoided(deps, log, situation, 'collected', prompt);
      return { kind: 'collected' };
    }
    case 'pending':
    case 'running': {
      if (!options.follow) return { kind: 'still-running' };
      log.info({ backend: prompt.backendId, promptId: prompt.promptId, state: status.state }, 'prompt still on its backend; following it');
      const result = await followPrompt(deps, job, member.driver, options.signal, options.sink, log, () => undefined, (run) =>
        member.driver.follow(prompt.promptId, run),
      );
      const done = await recordSuccess(deps, job, member.driver, result.files, 1, options.sink);
      if (!done) return { kind: 'moved-on' };
      avoided(deps, log, situation, 'followed', prompt);
      return { kind: 'followed' };
    }
    case 'failed':
      return { kind: 'failed', error: status.error };
    case 'interrupted':
      return { kind: 'interrupted' };
    case 'unrecoverable':
      // It may well have run (A1111 returns images only in the reply the lost worker was reading).
      log.warn({ backend: prompt.backendId, promptId: prompt.promptId, reason: status.reason }, 'prompt outputs cannot be collected from its backend; it runs again');
      return { kind: 'absent', why: 'unrecoverable' };
    default:
      return { kind: 'absent', why: 'unknown' };
  }
}

/**
 * The backend's word on the prompt. A backend that cannot be reached (refused, 5xx, timed out)
 * may still hold a finished prompt: it is asked again, with backoff, for up to
 * GANTRY_BACKEND_LOST_MS (while it stays in the fleet and the attempt is not aborted), since running
 * the prompt elsewhere in the meantime could run it twice. Null when it never answered.
 */
async function lookupPatiently(deps: WorkerDeps, driver: BackendDriver, prompt: SubmittedPrompt, signal: AbortSignal, log: Logger) {
  const { clock } = deps;
  const deadline = clock.now() + deps.config.backendLostMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await driver.lookup(prompt.promptId);
    } catch (err) {
      // The last question is asked at the deadline itself, not one backoff step before it.
      const delay = Math.min(backoffDelay(attempt, { baseMs: 500, maxMs: 4000 }), deadline - clock.now());
      const last = signal.aborted || delay <= 0 || deps.fleet.member(prompt.backendId) === undefined;
      log.warn(
        { err, backend: prompt.backendId, promptId: prompt.promptId, attempt },
        last ? 'could not ask the backend about the prompt; it runs again' : 'could not ask the backend about the prompt; asking again',
      );
      jobRecoveryMetrics(deps.metrics).lookupsUnanswered.inc({ outcome: last ? 'gave_up' : 'retry' });
      if (last) return null;
      await wait(clock, delay, signal);
      if (signal.aborted) return null;
    }
  }
}

function avoided(deps: WorkerDeps, log: Logger, situation: AskSituation, outcome: 'collected' | 'followed', prompt: SubmittedPrompt): void {
  const metrics = jobRecoveryMetrics(deps.metrics);
  metrics.recoveries.inc({ outcome });
  metrics.duplicatesAvoided.inc({ situation });
  log.warn({ backend: prompt.backendId, promptId: prompt.promptId, situation, outcome }, 'prompt had run on its backend: result taken from there, not run again');
}
