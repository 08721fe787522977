import type { IncomingMessage } from 'node:http';
import type { Clock } from '@gantry/domain';

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
  /** Open sockets per API key on this instance (0: no cap). */
  maxSocketsPerKey: number;
  /** Open sockets per client IP on this instance (0: no cap). */
  maxSocketsPerIp: number;
  /** Upgrades per minute per client IP, in the shared Redis limiter (0: not limited). */
  upgradesPerMinute: number;
  /** The client's address as `trust proxy` allows it to be known (as Express's req.ip). */
  clientIp: (req: IncomingMessage) => string;
  /** Time of the heartbeat, the auth timeout, key expiry and the message rate (default the system clock). */
  clock?: Clock;
}

