/**
 * The audit of one scenario: the promise "every job that got a 202 ends in exactly one terminal
 * state, and no prompt that succeeded is run again", checked job by job against PostgreSQL (the
 * record) and the backends' own execution counts. Pure: the inputs are read elsewhere.
 *
 * Per accepted job:
 *   lost            no row, or the row is not terminal when the scenario gave up waiting
 *   terminal once   the row is terminal, exactly one terminal `state` event exists, and it names
 *                   the row's status
 *   executions      successful executions of its marker counted at the backends; more than one
 *                   is a duplicate (the prompt succeeded and was run again)
 *   unreachable     an execution on a backend the fault took away for good (a hung or killed
 *                   backend), finished no earlier than UNREACHABLE_GRACE_MS before it was cut off:
 *                   nothing could read its outputs any more. One such execution followed by one
 *                   elsewhere is a rerun forced by the loss, reported on its own (not a duplicate:
 *                   the only other end is failing a job whose result nobody can fetch); any other
 *                   second execution is a duplicate
 *   outputs ok      its artifact rows are the outputs of one counted execution (same number,
 *                   file names from it), one `output` event per artifact row and no other, and
 *                   a job that succeeded was executed; so outputs of an abandoned attempt, a
 *                   success without a counted execution, and a successful execution whose outputs
 *                   were thrown away (job failed) are all caught
 */
import type { ExecutionRecord } from '@gantry/gpu-sim';
import { executionsByMarker } from './executions.js';
import { isTerminal, type Ledger, type LedgerJob } from './ledger.js';

/** A job the client got a 202 for: its marker (also its Idempotency-Key) and the id answered. */
export interface AcceptedJob {
  marker: string;
  jobId: string;
}

/** A backend the fault took away for the rest of the run, and when. */
export interface LostBackend {
  backend: string;
  at: number;
}

/**
 * How long before a backend was cut off a prompt that finished there still counts as unreachable:
 * the worker hears of the end over the backend's WebSocket and then reads /history and the output
 * files, which takes a moment. A prompt that finished earlier than this was there to be collected.
 */
const UNREACHABLE_GRACE_MS = 2000;

interface JobFinding {
  marker: string;
  jobId: string;
  status: string;
  attempts: number;
  terminalEvents: number;
  executions: number;
  /** Executions whose outputs became unreachable with a lost backend (see UNREACHABLE_GRACE_MS). */
  unreachableExecutions: number;
  /** Run again because its one successful execution was on a backend lost for good. */
  rerunAfterLoss: boolean;
  /** Executed successfully more than once, a forced rerun aside. */
  duplicate: boolean;
  lost: boolean;
  terminalOnce: boolean;
  outputsOk: boolean;
  /** Why it is not fine, for the report; empty when it is. */
  problems: string[];
}

export interface AuditSummary {
  accepted: number;
  terminalOnce: number;
  succeeded: number;
  failed: number;
  canceled: number;
  lost: number;
  /** Jobs executed successfully more than once. */
  duplicates: number;
  /** Jobs run again because their first successful execution was on a backend lost for good (outputs unreachable). */
  rerunsAfterLoss: number;
  /** Jobs that needed more than one attempt (a chance to run twice) yet ran successfully at most once. */
  duplicatesAvoided: number;
  outputsOk: number;
  /** Error codes of failed jobs, with counts. */
  failureCodes: Record<string, number>;
  /** Rows the client never got a 202 for (a submit cut by a fault), and how many of them are unfinished. */
  unacknowledgedRows: number;
  unacknowledgedUnfinished: number;
  /** Executions whose marker belongs to no accepted job. */
  strayExecutions: number;
  findings: JobFinding[];
}

export function auditJobs(accepted: AcceptedJob[], ledger: Ledger, executions: ExecutionRecord[], lost: LostBackend[] = []): AuditSummary {
  const byMarker = executionsByMarker(executions);
  const findings = accepted.map((job) => auditJob(job, ledger.get(job.jobId), byMarker.get(job.marker) ?? [], lost));
  const acceptedIds = new Set(accepted.map((a) => a.jobId));
  const acceptedMarkers = new Set(accepted.map((a) => a.marker));
  const unacknowledged = [...ledger.values()].filter((j) => !acceptedIds.has(j.id));
  const failureCodes: Record<string, number> = {};
  for (const f of findings) {
    if (f.status !== 'failed') continue;
    const code = ledger.get(f.jobId)?.errorCode ?? 'unknown';
    failureCodes[code] = (failureCodes[code] ?? 0) + 1;
  }
  const count = (p: (f: JobFinding) => boolean) => findings.filter(p).length;
  return {
    accepted: accepted.length,
    terminalOnce: count((f) => f.terminalOnce),
    succeeded: count((f) => f.status === 'succeeded'),
    failed: count((f) => f.status === 'failed'),
    canceled: count((f) => f.status === 'canceled'),
    lost: count((f) => f.lost),
    duplicates: count((f) => f.duplicate),
    rerunsAfterLoss: count((f) => f.rerunAfterLoss),
    duplicatesAvoided: count((f) => f.attempts > 1 && f.executions <= 1),
    outputsOk: count((f) => f.outputsOk),
    failureCodes,
    unacknowledgedRows: unacknowledged.length,
    unacknowledgedUnfinished: unacknowledged.filter((j) => !isTerminal(j.status)).length,
    strayExecutions: executions.filter((e) => !e.markers.some((m) => acceptedMarkers.has(m))).length,
    findings,
  };
}

/** Whether `run`'s outputs went with a backend lost for good. */
function isUnreachable(run: ExecutionRecord, lost: LostBackend[]): boolean {
  return lost.some((l) => l.backend === run.sim && run.finished_at >= l.at - UNREACHABLE_GRACE_MS);
}

function auditJob(job: AcceptedJob, row: LedgerJob | undefined, allRuns: ExecutionRecord[], lostBackends: LostBackend[]): JobFinding {
  const unreachable = allRuns.filter((r) => isUnreachable(r, lostBackends));
  const reachable = allRuns.filter((r) => !isUnreachable(r, lostBackends));
  const rerunAfterLoss = unreachable.length === 1 && reachable.length === 1;
  const duplicate = reachable.length > 1 || unreachable.length > 1;
  const base = { marker: job.marker, jobId: job.jobId, executions: allRuns.length, unreachableExecutions: unreachable.length, rerunAfterLoss, duplicate };
  if (!row) {
    return { ...base, status: 'missing', attempts: 0, terminalEvents: 0, lost: true, terminalOnce: false, outputsOk: false, problems: ['accepted (202) but no row in jobs'] };
  }
  const problems: string[] = [];
  const terminalStates = row.states.filter((s) => isTerminal(s.status));
  const lost = !isTerminal(row.status);
  if (lost) problems.push(`not terminal: ${row.status} (${history(row)})`);
  const terminalOnce = !lost && terminalStates.length === 1 && terminalStates[0]!.status === row.status;
  if (!lost && !terminalOnce) problems.push(`${terminalStates.length} terminal state events (${history(row)}) for status ${row.status}`);
  if (duplicate) {
    const inOrder = [...allRuns].sort((a, b) => a.finished_at - b.finished_at);
    problems.push(`executed successfully ${allRuns.length} times (${inOrder.map((r) => `${r.sim}:${r.prompt_id.slice(0, 8)}`).join(' then ')})`);
  }

  // An unfinished job is reported as lost; its outputs are not judged (and not counted as ok).
  // Outputs are judged against the executions whose outputs could be read.
  // A job that succeeded from an execution within the grace was collected in time after all; one
  // that failed because nothing could be read threw no readable outputs away.
  const runs = reachable.length > 0 || row.status !== 'succeeded' ? reachable : allRuns;
  const outputProblems = lost ? [] : checkOutputs(row, runs);
  problems.push(...outputProblems);
  return { ...base, status: row.status, attempts: row.attempts, terminalEvents: terminalStates.length, lost, terminalOnce, outputsOk: !lost && outputProblems.length === 0, problems };
}

/** Problems with a finished job's outputs (none: the outputs of exactly one execution, announced once). */
function checkOutputs(row: LedgerJob, runs: ExecutionRecord[]): string[] {
  const problems: string[] = [];
  const expected = runs[0]?.outputs.length ?? 0;
  if (row.status === 'succeeded' && runs.length === 0) problems.push('succeeded without a successful execution counted at any backend');
  else if (row.status !== 'succeeded' && runs.length > 0) problems.push(`ended ${row.status} although its prompt ran successfully (outputs thrown away)`);
  else if (row.artifacts.length !== expected) problems.push(`${row.artifacts.length} artifact rows, one execution made ${expected}`);
  const producedFiles = new Set(runs.flatMap((r) => r.outputs));
  const foreign = row.artifacts.filter((a) => !producedFiles.has(a.filename));
  if (foreign.length > 0) problems.push(`artifacts not produced by a counted execution: ${foreign.map((a) => a.filename).join(', ')}`);
  const announced = row.outputEvents.map((o) => o.artifactId).sort();
  const stored = row.artifacts.map((a) => a.id).sort();
  if (announced.join() !== stored.join()) problems.push(`${announced.length} output events for ${stored.length} artifact rows (ids differ)`);
  return problems;
}

function history(row: LedgerJob): string {
  return row.states.map((s) => s.status).join('>');
}
