/**
 * Recovery time of one fault: from the moment the fault ended (an instantaneous fault ends when it
 * is injected; a lasting one, such as PostgreSQL down for 5 s, when it is lifted) until the system
 * is back to normal, which is the latest of:
 *
 *   moved on      every job that was in flight (dispatched/running) at a fault hit or at its end
 *                 has a later state event: re-queued, dispatched again or finished
 *   working       a job succeeds after the fault's end (or nothing was left to do)
 *   queue whole   every accepted job waiting to run (not finished, not in flight) is in the BullMQ
 *                 queue again, under any generation of its entry id, and stayed so to the end
 *                 (observed live by polling Redis: the poll interval is its resolution)
 *
 * Pure: state events (PostgreSQL timestamps, same machine) and the live observation come in. A
 * criterion that never came true makes the recovery "never" (null), with the reason.
 */
import { isInFlight, isTerminal, nextStateAfter, statusAt, type LedgerJob } from './ledger.js';

export interface FaultWindow {
  /** When the fault struck (several for repeated faults), ms since the epoch. */
  hits: number[];
  /** When it ended (= the last hit for instantaneous faults). */
  end: number;
}

export interface Recovery {
  /** ms from the fault's end to normal; null: never, within the wait. */
  ms: number | null;
  /** Which criterion came last (or which never came true). */
  reason: string;
  /** Jobs in flight at a hit or at the end: the ones the fault could hit. */
  inFlightAtFault: number;
}

export function computeRecovery(window: FaultWindow, jobs: LedgerJob[], queueWholeAt: number | null): Recovery {
  const moments = [...window.hits, window.end];
  const hit = new Map<string, number>(); // job → latest moment it was in flight at
  for (const t of moments) for (const job of jobs) if (isInFlight(statusAt(job, t)?.status ?? '')) hit.set(job.id, Math.max(hit.get(job.id) ?? 0, t));

  const marks: Array<{ at: number; reason: string }> = [];
  for (const [id, t] of hit) {
    const job = jobs.find((j) => j.id === id)!;
    const next = nextStateAfter(job, t);
    if (!next) return { ms: null, reason: `job ${id.slice(0, 8)} in flight at the fault never moved on (${job.status})`, inFlightAtFault: hit.size };
    marks.push({ at: next.at, reason: `last job in flight at the fault moved on (${next.status})` });
  }

  const unfinishedAtEnd = jobs.some((j) => !isTerminal(statusAt(j, window.end)?.status ?? 'queued'));
  if (unfinishedAtEnd) {
    const firstSuccess = Math.min(...jobs.flatMap((j) => j.states.filter((s) => s.status === 'succeeded' && s.at > window.end).map((s) => s.at)));
    if (!Number.isFinite(firstSuccess)) return { ms: null, reason: 'no job succeeded after the fault', inFlightAtFault: hit.size };
    marks.push({ at: firstSuccess, reason: 'first job succeeded after the fault' });
  }

  if (queueWholeAt === null) return { ms: null, reason: 'waiting accepted jobs missing from the queue', inFlightAtFault: hit.size };
  marks.push({ at: queueWholeAt, reason: 'every waiting job back in the queue' });

  const last = marks.reduce((a, b) => (b.at > a.at ? b : a));
  return { ms: Math.max(0, last.at - window.end), reason: last.reason, inFlightAtFault: hit.size };
}
