/**
 * Waiting on a scenario's jobs, by polling PostgreSQL (and Redis for the queue), always bounded:
 *   waitForTrigger  until the run is at the point where the fault should strike
 *   watchUntilDone  after the fault, until every accepted job is terminal, or nothing has changed
 *                   for `idleMs` (the rest are lost), or the deadline; meanwhile it notes since
 *                   when every unfinished accepted job has been in the BullMQ queue (recovery.ts)
 * A read that fails (the database or Redis is down: that is the fault) is retried next round.
 */
import type { AcceptedJob } from './audit.js';
import { isInFlight, isTerminal, readLedger, type Ledger } from './ledger.js';
import { sleep } from './poll.js';
import type { QueueView } from './queue-view.js';

const EVERY_MS = 500;

/** Polls until `ready(ledger)` holds; throws after `timeoutMs` (the fault could not be placed mid-run). */
export async function waitForTrigger(databaseUrl: string, what: string, timeoutMs: number, ready: (ledger: Ledger) => boolean): Promise<Ledger> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ledger = await readLedger(databaseUrl).catch(() => null);
    if (ledger && ready(ledger)) return ledger;
    if (Date.now() > deadline) throw new Error(`the fault's moment never came within ${Math.round(timeoutMs / 1000)} s: ${what}`);
    await sleep(EVERY_MS);
  }
}

export interface WatchOptions {
  databaseUrl: string;
  queue: QueueView;
  /** Jobs accepted so far (grows while submits go on). */
  accepted: () => AcceptedJob[];
  /** True while the client is still submitting. */
  submitting: () => boolean;
  /** The fault's end: the queue check starts counting from here. */
  faultEnd: number;
  /** Give up when no state or output event was written for this long. */
  idleMs: number;
  /** Give up at this time, whatever happens. */
  deadline: number;
  log: (line: string) => void;
}

export interface WatchResult {
  ledger: Ledger;
  /** Since when (poll time, at or after the fault's end) every unfinished accepted job has been in the queue; null: not at the last look. */
  queueWholeAt: number | null;
  endedBy: 'all terminal' | 'idle' | 'deadline';
}

export async function watchUntilDone(o: WatchOptions): Promise<WatchResult> {
  let ledger: Ledger = new Map();
  let queueWholeAt: number | null = null;
  let fingerprint = -1;
  let lastChange = Date.now();
  let lastLog = 0;
  let lastMissing = 0;
  for (;;) {
    const now = Date.now();
    // Order matters for the queue check: accepted jobs, then Redis, then PostgreSQL. An accepted
    // job was enqueued before its 202, and a job the later database read finds unfinished was
    // unfinished at the Redis read too, so "unfinished but not in the queue" is never a job that
    // merely finished between the two reads.
    const submitting = o.submitting(); // read first: once false, the snapshot below is complete
    const accepted = [...o.accepted()];
    const live = now >= o.faultEnd ? await o.queue.liveIds().catch(() => null) : null;
    const read = await readLedger(o.databaseUrl).catch(() => null);
    if (read) {
      ledger = read;
      const events = [...read.values()].reduce((n, j) => n + j.states.length + j.outputEvents.length, 0);
      if (events !== fingerprint) [fingerprint, lastChange] = [events, now];
    }
    const unfinished = accepted.filter((a) => !isTerminal(ledger.get(a.jobId)?.status ?? 'missing'));
    let missing: string[] = [];
    if (read && live) {
      // Whole since the first poll of the last unbroken whole stretch: a job accepted later (a
      // client's retry answered from a row a killed API never enqueued) breaks it again.
      // A job in flight is its worker's (PostgreSQL heartbeat): its entry may be gone with Redis's
      // data while the worker runs it; recovery.ts's "moved on" judges those. A waiting job that
      // is in no live entry is one nothing will run.
      missing = unfinished
        .map((a) => ledger.get(a.jobId)?.status ?? 'missing')
        .filter((status, i) => !isInFlight(status) && !live.has(unfinished[i]!.jobId));
      queueWholeAt = missing.length === 0 ? (queueWholeAt ?? now) : null;
    }
    // Every 10 s, and whenever the set of jobs missing from the queue changes size (recovery).
    if (now - lastLog >= 10_000 || missing.length !== lastMissing) {
      [lastLog, lastMissing] = [now, missing.length];
      const inFlight = accepted.filter((a) => isInFlight(ledger.get(a.jobId)?.status ?? '')).length;
      const absent = missing.length > 0 ? `, ${missing.length} unfinished not in the queue (${countsOf(missing)})` : '';
      o.log(`${accepted.length - unfinished.length}/${accepted.length} terminal, ${inFlight} in flight${absent}${read ? '' : ' (database unreachable)'}`);
    }
    if (read && !submitting && unfinished.length === 0) return { ledger, queueWholeAt, endedBy: 'all terminal' };
    if (!submitting && now - lastChange > o.idleMs) return { ledger, queueWholeAt, endedBy: 'idle' };
    if (now > o.deadline) return { ledger, queueWholeAt, endedBy: 'deadline' };
    await sleep(EVERY_MS);
  }
}

/** `queued ×3, running ×1`: how many of each. */
function countsOf(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s} ×${n}`).join(', ');
}
