import type { Backend, Health, Job, JobEventRecord, JobPage, JobStatus, StreamMessage, SubmitBody } from './types.js';

/**
 * Everything the dashboard asks of Gantry: the one seam between the UI and the client library
 * (implemented in gantry-api.ts). Views never call fetch or WebSocket themselves.
 */
export interface DashboardApi {
  listJobs(query: { status?: JobStatus; limit?: number; cursor?: string }): Promise<JobPage>;
  getJob(id: string): Promise<Job>;
  submitJob(body: SubmitBody): Promise<Job>;
  cancelJob(id: string): Promise<Job>;
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
  onMessage(message: StreamMessage): void;
  onStatus(status: LiveStatus): void;
}

export interface LiveConnection {
  /** Turns preview images on or off (re-subscribes). */
  setPreviews(on: boolean): void;
  close(): void;
}

/** A refused request, from the API's problem+json (or a network failure: status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
