import type { Readable } from 'node:stream';
import type { AppError, Workflow } from '@gantry/domain';

/**
 * What a backend driver reports while a prompt runs, already keyed to the one prompt being run.
 * Drivers translate their backend's protocol (ComfyUI WebSocket messages, A1111 polling) into these.
 */
export type DriverEvent =
  /** The backend started executing this prompt. */
  | { type: 'started' }
  /** Nodes whose outputs were cached and will not execute. */
  | { type: 'cached'; nodes: string[] }
  /** A node began executing. */
  | { type: 'executing'; node: string }
  /** Step progress inside a node (e.g. sampler steps). */
  | { type: 'progress'; node: string | null; value: number; max: number }
  /** A node finished and produced UI outputs (files). */
  | { type: 'executed'; node: string; files: OutputFile[] }
  /** A preview image (decoded from a binary frame). */
  | { type: 'preview'; node: string | null; mime: string; data: Buffer };

/** A file a backend produced, as the backend names it. */
export interface OutputFile {
  nodeId: string;
  filename: string;
  subfolder: string;
  /** ComfyUI's folder type: `output`, `temp` or `input`. */
  type: string;
}

export interface RunOptions {
  /** Gantry chooses the prompt id so a retry or reconciliation can find the prompt again. */
  promptId: string;
  /** Aborting interrupts the prompt on the backend and rejects with AppError CANCELED. */
  signal: AbortSignal;
  onEvent: (event: DriverEvent) => void;
  /**
   * Wraps the request that hands the workflow to the backend (ComfyUI `POST /prompt`), which a
   * real ComfyUI validates in its event loop: a huge workflow keeps it from answering anything
   * else (health probes included) meanwhile. The worker uses it to tell its health monitor that
   * the backend is busy accepting a prompt, so a probe timing out then is not counted as down.
   */
  submitting?: <T>(submit: () => Promise<T>) => Promise<T>;
}

export interface RunResult {
  promptId: string;
  /** Every output file of the run (also for fully cached runs, taken from history). */
  files: OutputFile[];
  /**
   * Set when the backend accepted the workflow but some output nodes failed validation and did
   * not run (ComfyUI: 200 with non-empty `node_errors`); keyed by node id.
   */
  nodeErrors?: Record<string, unknown>;
}

/** A file's bytes held in memory (A1111 returns its images inside the reply). */
export interface DownloadedFile {
  data: Buffer;
  contentType: string;
}

/**
 * An output file's bytes as the backend sends them, never held whole: the driver's byte ceiling
 * is enforced while they arrive (BACKEND_ERROR past it), and a transport failure mid-way errors
 * the stream with BACKEND_UNAVAILABLE. Read it to the end or destroy it.
 */
export interface OutputDownload {
  stream: Readable;
  contentType: string;
}

/**
 * What the backend knows of a prompt Gantry submitted earlier (maybe by a worker that died), so a
 * new attempt can collect a finished prompt's outputs, or await a live one, instead of running it
 * twice.
 */
export type PromptStatus =
  /** Finished; its outputs can be collected with download(). */
  | { state: 'succeeded'; files: OutputFile[] }
  /** Finished with an error (as run() would have rejected). */
  | { state: 'failed'; error: AppError }
  /** Finished by an interrupt. */
  | { state: 'interrupted' }
  /** Waiting in the backend's queue. */
  | { state: 'pending' }
  /** Executing now. */
  | { state: 'running' }
  /**
   * Finished, or may have, but its outputs cannot be collected: only a rerun gives results. A1111
   * only (its images come back in the lost HTTP reply unless they were saved and can be read back).
   */
  | { state: 'unrecoverable'; reason: string }
  /** Never arrived, deleted, or the backend restarted and forgot. */
  | { state: 'unknown' };

/**
 * One GPU backend, as the worker drives it. Failures reject with an AppError:
 * WORKFLOW_INVALID (node_errors in details, never retried), MODEL_UNAVAILABLE (the backend lacks a
 * model the workflow names; retryable elsewhere), BACKEND_UNAVAILABLE (retryable),
 * EXECUTION_ERROR, OUT_OF_MEMORY (retryable), CANCELED.
 */
export interface BackendDriver {
  readonly id: string;
  readonly url: string;
  run(workflow: Workflow, options: RunOptions): Promise<RunResult>;
  /** Opens an output file's bytes as a stream (ComfyUI `/view`; A1111 from the reply it held, or `/file=`). */
  download(file: OutputFile): Promise<OutputDownload>;
  interrupt(promptId: string): Promise<void>;
  /**
   * Throws AppError BACKEND_UNAVAILABLE when the backend cannot be asked, and BACKEND_ERROR
   * `lookup_unsupported` when it cannot tell (A1111 without its task API).
   */
  lookup(promptId: string): Promise<PromptStatus>;
  /**
   * Follows a prompt that is already on the backend (pending or running) to its end without
   * submitting anything, reporting events like run() and resolving/rejecting exactly like run();
   * for a prompt that already finished it resolves/rejects at once from history. Aborting the
   * signal interrupts that prompt (and only it). Rejects BACKEND_UNAVAILABLE, or BACKEND_ERROR
   * with `details.reason` `prompt_unknown` (isPromptUnknown) when the backend does not know the
   * prompt, or `outputs_unrecoverable` when it finished but its outputs cannot be collected.
   */
  follow(promptId: string, options: Omit<RunOptions, 'promptId'>): Promise<RunResult>;
  close(): Promise<void>;
}
