import type { Backend, Health, Job, JobEventRecord, JobPage, JobStatus, Preview, SubmitBody } from './types.js';

/**
 * Everything the dashboard asks of Gantry: the one seam between the UI and the client library
 * (gantry-api.ts backs it with @gantry/sdk). Views never call fetch or WebSocket themselves.
 */
export interface DashboardApi {
  listJobs(query: { status?: JobStatus; limit?: number; cursor?: string }): Promise<JobPage>;
  getJob(id: string): Promise<Job>;
  submitJob(body: SubmitBody): Promise<Job>;
  /** `POST /uploads`: an input image; its id goes in the submit's `inputs`. */
  uploadImage(file: Blob): Promise<{ id: string }>;
  cancelJob(id: string): Promise<Job>;
  /** A new job with the input of a finished one (`POST /jobs/{id}/retry`). */
  retryJob(id: string): Promise<Job>;
  jobEvents(id: string, since?: number): Promise<{ items: JobEventRecord[]; lastSeq: number }>;
  listBackends(): Promise<Backend[]>;
  health(): Promise<Health>;
  /** An output's bytes (the artifact URL needs the API key, so an <img src> cannot load it). */
  artifactBlob(url: string): Promise<Blob>;
  /** The live stream of every job of the key's tenant; reconnects by itself until closed. */
  live(options: LiveOptions): LiveConnection;
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized' | 'closed';

export interface LiveOptions {
  previews: boolean;
  /** A job's state on (re)subscribe; `lastSeq` is its latest event's sequence number. */
  onSnapshot(job: Job, lastSeq: number): void;
  /**
   * A persisted event, deduplicated, in order per job, with the job as the stream knows it after
   * the event (for a job first seen through its events: built from them, so kind, priority and
   * metadata are defaults until the job is read).
   */
  onEvent(record: JobEventRecord, job: Job): void;
  onPreview(preview: Preview): void;
  onStatus(status: LiveStatus): void;
}

export interface LiveConnection {
  /** Turns preview images on or off. */
  setPreviews(on: boolean): void;
  close(): void;
}

/** A refused request: the SDK's error (`status`, the API's `code`, `errors`; status 0 offline). */
export { GantryError as ApiError } from '@gantry/sdk';
