import { STREAM_CLOSE } from '@gantry/domain';
import { Counter, Gauge, Histogram, metricSet, type Registry } from '@gantry/metrics';

/** Close codes reported as themselves; any other code a client sends is counted as `other`. */
const KNOWN_CODES = new Set<number>([1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1011, ...Object.values(STREAM_CLOSE)]);

/** The WebSocket gateway (/api/v1/stream) of this API instance. */
export const streamMetrics = metricSet((registry: Registry) => ({
  connections: new Gauge({
    name: 'gantry_ws_connections',
    help: 'Open WebSocket connections on this API instance.',
    registers: [registry],
  }),
  received: new Counter({
    name: 'gantry_ws_messages_received_total',
    help: 'Messages received from WebSocket clients.',
    registers: [registry],
  }),
  sent: new Counter({
    name: 'gantry_ws_messages_sent_total',
    help: 'Messages sent to WebSocket clients (events, snapshots, replies).',
    registers: [registry],
  }),
  followedJobs: new Gauge({
    name: 'gantry_ws_followed_jobs',
    help: 'Job cursors held by the open sockets (one per socket and job followed; an `all` socket lets a job go once it ended).',
    registers: [registry],
  }),
  fanoutSlice: new Histogram({
    name: 'gantry_ws_fanout_slice_seconds',
    help: 'Time one slice of the stream fan-out held the event loop (wall clock; a slice stops after 128 sockets or 5 ms).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  }),
  slowConsumerDrops: new Counter({
    name: 'gantry_ws_slow_consumer_drops_total',
    help: 'Sockets dropped because their unsent buffer passed GANTRY_WS_MAX_BUFFER_BYTES (told to resume with since; 4408).',
    registers: [registry],
  }),
  refused: new Counter({
    name: 'gantry_ws_refused_total',
    help: 'Sockets refused: origin (403) and ip_sockets, rate_limited (429 on upgrade); key_sockets (4429 once authenticated).',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  closed: new Counter({
    name: 'gantry_ws_disconnects_total',
    help: 'Closed WebSocket connections, by close code (4401 auth, 4408 slow consumer, 4429 rate limited, 1001 shutdown, 1006 dropped...).',
    labelNames: ['code'] as const,
    registers: [registry],
  }),
}));

/** The `code` label of a close code. */
export function closeCodeLabel(code: number): string {
  return KNOWN_CODES.has(code) ? String(code) : 'other';
}
