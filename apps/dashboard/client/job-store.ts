import { applyJobEvent } from '@gantry/sdk';
import { isTerminal, type Job, type JobEventRecord, type JobStatus } from './types.js';

/** What the event did to the store, so the caller knows whether to fetch the job. */
export type ApplyResult = 'applied' | 'duplicate' | 'unknown-job' | 'gap';

interface Entry {
  job: Job;
  /** Sequence number of the last event applied (or of the snapshot). */
  lastSeq: number;
  /** Latest live preview (a data: URL), while the job runs. */
  preview: string | null;
}

/**
 * The jobs the dashboard knows, kept current by snapshots, REST reads and stream events. Pure
 * logic (no DOM): views subscribe and re-render the jobs that changed.
 */
export class JobStore {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(ids: string[]) => void>();

  /** At most `max` jobs are kept: beyond it the oldest finished ones are forgotten (long sessions stay flat). */
  constructor(private readonly max = 2000) {}

  get(id: string): Job | undefined {
    return this.entries.get(id)?.job;
  }

  preview(id: string): string | null {
    return this.entries.get(id)?.preview ?? null;
  }

  lastSeq(id: string): number {
    return this.entries.get(id)?.lastSeq ?? 0;
  }

  /** Jobs, newest first (ids are time-ordered UUIDv7), optionally of one status. */
  list(status?: JobStatus): Job[] {
    const jobs = [...this.entries.values()].map((e) => e.job).filter((j) => !status || j.status === status);
    return jobs.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  onChange(listener: (ids: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A full job (REST read or stream snapshot). With `lastSeq` (snapshots) it also resets the
   * event position; a REST read never moves a job that events already moved further.
   */
  upsert(job: Job, lastSeq?: number): void {
    const entry = this.entries.get(job.id);
    if (!entry) {
      this.entries.set(job.id, { job: { ...job }, lastSeq: lastSeq ?? 0, preview: null });
      if (this.entries.size > this.max) this.prune();
    } else if (lastSeq !== undefined) {
      entry.job = { ...job };
      entry.lastSeq = lastSeq;
    } else {
      entry.job = mergeRead(entry.job, job);
    }
    if (isTerminal(job.status)) this.entries.get(job.id)!.preview = null;
    this.emit([job.id]);
  }

  /** A persisted event from the stream. Events must come in sequence; a gap is reported. */
  apply(record: JobEventRecord): ApplyResult {
    const entry = this.entries.get(record.jobId);
    if (!entry) return 'unknown-job';
    if (record.seq <= entry.lastSeq) return 'duplicate';
    if (entry.lastSeq > 0 && record.seq > entry.lastSeq + 1) return 'gap';
    entry.lastSeq = record.seq;
    entry.job = applyJobEvent(entry.job, record);
    if (isTerminal(entry.job.status)) entry.preview = null;
    const job = entry.job;
    this.emit([job.id]);
    return 'applied';
  }

  private prune(): void {
    const finished = this.list().filter((j) => isTerminal(j.status));
    const excess = this.entries.size - this.max;
    const gone = finished.slice(Math.max(0, finished.length - excess)).map((j) => j.id);
    for (const id of gone) this.entries.delete(id);
    if (gone.length) this.emit(gone);
  }

  setPreview(id: string, dataUrl: string): void {
    const entry = this.entries.get(id);
    if (!entry || isTerminal(entry.job.status)) return;
    entry.preview = dataUrl;
    this.emit([id]);
  }

  private emit(ids: string[]): void {
    for (const l of this.listeners) l(ids);
  }
}

const stage = (status: JobStatus): number => (isTerminal(status) ? 3 : ['queued', 'dispatched', 'running'].indexOf(status));

/**
 * A plain read (GET) of a job the stream already moves: the read may have been answered before
 * the latest events, so it only moves the job forward (a later stage); otherwise it contributes
 * what events do not carry (kind, priority, metadata, queue position, inputs, ...). A job first
 * seen through its events (its events can beat the submit's answer) has none of those.
 */
function mergeRead(current: Job, read: Job): Job {
  if (stage(read.status) > stage(current.status)) return { ...read };
  const sameStatus = read.status === current.status;
  return {
    ...current,
    kind: read.kind,
    priority: read.priority,
    metadata: read.metadata,
    requirements: read.requirements,
    timeoutSeconds: read.timeoutSeconds,
    createdAt: read.createdAt,
    links: read.links,
    webhook: read.webhook,
    retryOf: read.retryOf,
    inputs: read.inputs ?? current.inputs,
    queue: sameStatus ? read.queue : undefined,
    progress: sameStatus ? Math.max(read.progress, current.progress) : current.progress,
    artifacts: read.artifacts.length > current.artifacts.length ? read.artifacts : current.artifacts,
    startedAt: current.startedAt ?? read.startedAt,
    finishedAt: current.finishedAt ?? read.finishedAt,
    error: current.error ?? read.error,
  };
}
