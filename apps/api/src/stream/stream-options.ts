/** Limits and timings of the WebSocket gateway (from the API's environment). */
export interface StreamOptions {
  /** Browser origins allowed besides the API's own; no Origin header (non-browser) is always allowed. */
  allowedOrigins: string[];
  authTimeoutMs: number;
  pingIntervalMs: number;
  /** Unsent bytes a socket may hold before the client is dropped as a slow consumer. */
  maxBufferedBytes: number;
  maxMessageBytes: number;
  maxSubscriptions: number;
  /** Client messages per second, and the burst allowed on top. */
  messageRate: number;
  messageBurst: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  allowedOrigins: [],
  authTimeoutMs: 5000,
  pingIntervalMs: 30_000,
  maxBufferedBytes: 1 << 20,
  maxMessageBytes: 64 * 1024,
  maxSubscriptions: 1000,
  messageRate: 20,
  messageBurst: 50,
};
