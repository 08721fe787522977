import type { StructuredLogger } from '../logger.js';

/** Every bound the ComfyUI driver applies. All in milliseconds. */
export interface ComfyUiTimeouts {
  /** One HTTP request (submit, history, queue, interrupt). */
  requestMs: number;
  /** One `GET /view` download. */
  downloadMs: number;
  /** Opening the WebSocket before a run. */
  connectMs: number;
  /** After an abort, how long to wait for `execution_interrupted` before rejecting CANCELED anyway. */
  cancelGraceMs: number;
  /** While the WebSocket is down, how often to poll `/history` and `/queue` for a running prompt. */
  pollIntervalMs: number;
  /** How long the backend may stay unreachable during a run before it fails BACKEND_UNAVAILABLE. */
  disconnectGraceMs: number;
  /** Reconnect backoff: first delay and ceiling (with jitter). */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** WebSocket ping interval; a missed pong drops and reconnects the socket. */
  heartbeatMs: number;
}

export const DEFAULT_TIMEOUTS: ComfyUiTimeouts = {
  requestMs: 10_000,
  downloadMs: 120_000,
  connectMs: 10_000,
  cancelGraceMs: 5_000,
  pollIntervalMs: 1_000,
  disconnectGraceMs: 30_000,
  reconnectMinMs: 250,
  reconnectMaxMs: 10_000,
  heartbeatMs: 15_000,
};

export interface ComfyUiDriverOptions {
  /** Gantry's id for this backend. */
  id: string;
  /** Base URL, e.g. `http://10.0.0.5:8188` (a path prefix is kept). */
  url: string;
  /** The WebSocket client id; stable per driver so a reconnect gets this driver's events again. Default: a random UUID. */
  clientId?: string;
  /** A pino-compatible logger; silent by default. */
  logger?: StructuredLogger;
  timeouts?: Partial<ComfyUiTimeouts>;
  /** Largest reply or download accepted (default 512 MiB). */
  maxDownloadBytes?: number;
}
