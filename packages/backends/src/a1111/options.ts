import type { StructuredLogger } from '../logger.js';

/** Every bound the A1111 driver applies. All in milliseconds. */
export interface A1111Timeouts {
  /** One small request: progress polls, interrupt. */
  requestMs: number;
  /** The txt2img request, which blocks until the images are done (A1111 generation is synchronous). */
  generationMs: number;
  /** How often to poll `/internal/progress` and `/sdapi/v1/progress` during a run. */
  pollIntervalMs: number;
  /** After an abort, how long to wait for the interrupted request to answer before rejecting CANCELED anyway. */
  cancelGraceMs: number;
  /**
   * After an abort while the request still waits behind other work, how long to keep watching so
   * it can be interrupted once it starts (A1111 cannot drop a queued request).
   */
  orphanWatchMs: number;
  /** While following a task (follow), how long the backend may stay unreachable before it fails BACKEND_UNAVAILABLE. */
  unreachableMs: number;
}

/** Defaults for a production fleet: quick polls, a generous bound on one generation. */
export const DEFAULT_A1111_TIMEOUTS: A1111Timeouts = {
  requestMs: 10_000,
  generationMs: 60 * 60_000,
  pollIntervalMs: 250,
  cancelGraceMs: 5_000,
  orphanWatchMs: 10 * 60_000,
  unreachableMs: 30_000,
};

/** What `createA1111Driver` takes. */
export interface A1111DriverOptions {
  /** Gantry's id for this backend. */
  id: string;
  /** Base URL, e.g. `http://10.0.0.6:7860` (a path prefix is kept). */
  url: string;
  /** A pino-compatible logger; silent by default. */
  logger?: StructuredLogger;
  timeouts?: Partial<A1111Timeouts>;
  /** Largest reply accepted (the images come base64 in the txt2img reply). Default 512 MiB. */
  maxResponseBytes?: number;
  /**
   * Images are held in memory from the run until `download`: at most this many bytes (oldest
   * dropped first; default 256 MiB) for at most `heldMs` (default 15 minutes).
   */
  maxHeldBytes?: number;
  heldMs?: number;
  /**
   * Ask A1111 to also save each run's images (under `outdir_txt2img_samples`/`gantry-<prompt id>/`),
   * so lookup/follow can collect them after the reply was lost with a worker (default true). They
   * stay on the backend's disk like A1111's own outputs: its operator cleans that folder up.
   */
  saveOutputs?: boolean;
}
