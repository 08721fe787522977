import type { Workflow } from '@gantry/domain';

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

export interface DownloadedFile {
  data: Buffer;
  contentType: string;
}

/**
 * One GPU backend, as the worker drives it. Failures reject with an AppError:
 * WORKFLOW_INVALID (node_errors in details, never retried), BACKEND_UNAVAILABLE (retryable),
 * EXECUTION_ERROR, OUT_OF_MEMORY (retryable), CANCELED.
 */
export interface BackendDriver {
  readonly id: string;
  readonly url: string;
  run(workflow: Workflow, options: RunOptions): Promise<RunResult>;
  download(file: OutputFile): Promise<DownloadedFile>;
  interrupt(promptId: string): Promise<void>;
  close(): Promise<void>;
}
