// The raw baseline of `npm run bench:ws`: plain `ws` fanning the same bus out, the obvious way
// (each message parsed and serialized once, then `ws.send(string)` to every socket, synchronously),
// with no authentication, cursors, limits or ordering checks. Not part of Gantry. It speaks just
// enough of the stream protocol for the bench's clients: `ready` on connect, `subscribed` to a
// subscribe; every event goes to every socket.
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT);
const channel = `${process.env.GANTRY_QUEUE_PREFIX}:events`;
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ type: 'ready', tenant: 'raw', protocol: 'gantry.v1' }));
  ws.on('message', () => ws.send(JSON.stringify({ type: 'subscribed', all: true })));
  ws.on('error', () => undefined);
});
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
redis.on('message', (_channel, message) => {
  const parsed = JSON.parse(message);
  // A change with several events is one message, a JSON array of them in order (docs/websocket.md).
  for (const e of Array.isArray(parsed) ? parsed : [parsed]) {
    const wire = JSON.stringify({ type: 'event', jobId: e.jobId, seq: e.seq, at: e.at, event: e.event, publishedAt: e.publishedAt });
    for (const ws of wss.clients) ws.send(wire);
  }
});
await redis.subscribe(channel);
process.send?.({ benchRawReady: port });
process.on('SIGTERM', () => {
  redis.disconnect();
  for (const ws of wss.clients) ws.terminate();
  wss.close(() => process.exit(0));
});
