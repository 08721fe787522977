import type { Job, JobEvent, Workflow } from '@gantry/sdk';
import { estimateRemainingMs } from './eta.js';

/** What the progress display knows of one job. */
export interface JobProgress {
  id: string;
  /** A short label: the workflow file, or the id's head. */
  label: string;
  status: Job['status'];
  /** Overall fraction 0..1. */
  overall: number;
  /** The running node (id) and its class type, when known. */
  node: string | null;
  nodeType: string | null;
  /** Steps in the running node. */
  step: number;
  steps: number;
  attempt: number;
  /** When the current attempt started running (local clock), if it did: the ETA's rate is measured from here. */
  runningSince: number | undefined;
  finishedAt: number | undefined;
  error: Job['error'];
}

export function progressFromJob(job: Job, label: string, now: number): JobProgress {
  const started = job.startedAt ? Date.parse(job.startedAt) : undefined;
  return {
    id: job.id,
    label,
    status: job.status,
    overall: job.progress,
    node: null,
    nodeType: null,
    step: 0,
    steps: 0,
    attempt: job.attempts,
    runningSince: job.status === 'running' || job.status === 'dispatched' ? Math.min(started ?? now, now) : undefined,
    finishedAt: job.finishedAt ? now : undefined,
    error: job.error,
  };
}

/** The progress after an event (a new object). `workflow` names the nodes' types. */
export function applyProgressEvent(p: JobProgress, record: JobEvent, now: number, workflow?: Workflow): JobProgress {
  const e = record.event;
  if (e.type === 'state') {
    const next: JobProgress = { ...p, status: e.status, attempt: Math.max(p.attempt, e.attempt) };
    if (e.error) next.error = e.error;
    if (e.status === 'queued') Object.assign(next, { overall: 0, node: null, nodeType: null, step: 0, steps: 0, runningSince: undefined });
    if (e.status === 'running' && p.status !== 'running') next.runningSince = now;
    if (e.status === 'succeeded') next.overall = 1;
    if (e.status === 'succeeded' || e.status === 'failed' || e.status === 'canceled') {
      Object.assign(next, { finishedAt: now, node: null, nodeType: null, step: 0, steps: 0 });
    }
    return next;
  }
  if (e.type === 'progress') {
    return {
      ...p,
      overall: e.overall,
      node: e.node,
      nodeType: e.node ? (workflow?.[e.node]?.class_type ?? null) : null,
      step: e.value,
      steps: e.max,
      runningSince: p.runningSince ?? now,
    };
  }
  return p;
}

/** Elapsed time of the current attempt (frozen once finished) and the ETA. */
export function timing(p: JobProgress, now: number): { elapsedMs: number | undefined; etaMs: number | undefined } {
  if (p.runningSince === undefined) return { elapsedMs: undefined, etaMs: undefined };
  const end = p.finishedAt ?? now;
  const elapsedMs = Math.max(0, end - p.runningSince);
  const done = p.status === 'succeeded' || p.status === 'failed' || p.status === 'canceled';
  return { elapsedMs, etaMs: done ? undefined : estimateRemainingMs(elapsedMs, p.overall) };
}
