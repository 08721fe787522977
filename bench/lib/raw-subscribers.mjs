// Cheap subscribers for `npm run bench:ws -- --synthetic-rate N` (not part of Gantry): raw TCP
// clients of /api/v1/stream, many in this one process. Each does the WebSocket handshake by hand
// (the key in the subprotocol header, as the `ws` clients), reads `ready`, sends a masked
// `{"type":"subscribe","all":true}` and waits for `subscribed`; from then on it only walks frame
// headers to count the text frames (one per event) and skips their payloads unread, so a delivery
// costs it far less than the `ws` library's parse, and the API, not the clients, is what saturates.
// Pings are answered (the API's heartbeat would drop a silent socket). Socket 0 is the checker: it
// parses every event and checks that each job's seq rises by exactly one.
//
// IPC from the bench: `{rawSubs: 'connect', n, concurrency}` -> `{rawSubsConnected: {...}}`;
// (`subscribe`: the message each socket subscribes with, default `all`); `{rawSubs: 'mark'}` zeroes the counts; `{rawSubs: 'total'}` -> `{rawSubsTotal: n}` (frames counted);
// `{rawSubs: 'counts'}` -> `{rawSubsCounts: {total, perSocket, closes, checker}}`;
// `{rawSubs: 'snapshots'}` -> `{rawSubsSnapshots: n}` (snapshot messages since the mark, all sockets);
// `{rawSubs: 'close'}` ends every socket -> `{rawSubsClosed: n}`.
import { randomBytes } from 'node:crypto';
import net from 'node:net';

const api = new URL(process.env.BENCH_API_URL);
const key = process.env.BENCH_READ_KEY;
const sockets = [];
const closes = new Map();
const checker = { events: 0, gaps: 0, duplicates: 0, last: new Map(), other: new Map() };

/** A masked client frame (RFC 6455 5.3) with a short payload. */
function clientFrame(opcode, payload) {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

/** What every socket sends once `ready` (`all` unless the bench's `connect` says otherwise, e.g. jobIds with sinceByJob). */
let subscribeMessage = { type: 'subscribe', all: true };

class RawSubscriber {
  constructor(index) {
    this.index = index;
    this.frames = 0; // event frames after `subscribed`
    this.ready = false;
    this.closed = false;
    this.rest = null; // bytes of an unfinished header (or, while parsing, of an unfinished frame)
    this.skip = 0; // payload bytes of the current frame still to skip
    this.handshake = true;
    this.parse = true; // until `subscribed` (and always for the checker)
    this.onSubscribed = null;
  }

  connect(timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('timeout')), timeoutMs);
      const fail = (err) => {
        clearTimeout(timer);
        this.socket.destroy();
        reject(err);
      };
      this.onSubscribed = () => {
        clearTimeout(timer);
        resolve();
      };
      const socket = net.connect({ host: api.hostname, port: Number(api.port) });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('error', (err) => (this.ready ? undefined : fail(err)));
      socket.on('close', () => {
        if (!this.closed && this.ready) closes.set('dropped', (closes.get('dropped') ?? 0) + 1);
        this.ready = false;
      });
      socket.on('connect', () => {
        socket.write(
          `GET /api/v1/stream HTTP/1.1\r\nHost: ${api.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
            `Sec-WebSocket-Protocol: gantry.v1, gantry.key.${key}\r\n\r\n`,
        );
      });
      socket.on('data', (chunk) => {
        try {
          this.onData(chunk);
        } catch (err) {
          fail(err);
        }
      });
    });
  }

  onData(chunk) {
    let buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    if (this.handshake) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.rest = buf;
        return;
      }
      const head = buf.subarray(0, end).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101')) throw new Error(head.split('\r\n')[0]);
      this.handshake = false;
      buf = buf.subarray(end + 4);
    }
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.skip > 0) {
        const s = Math.min(this.skip, n - i);
        this.skip -= s;
        i += s;
        continue;
      }
      // A frame header: 2 bytes, +2 or +8 for the length (a server frame is not masked).
      if (n - i < 2) break;
      const b0 = buf[i];
      const b1 = buf[i + 1] & 0x7f;
      const hdr = b1 === 126 ? 4 : b1 === 127 ? 10 : 2;
      if (n - i < hdr) break;
      const len = b1 === 126 ? buf.readUInt16BE(i + 2) : b1 === 127 ? Number(buf.readBigUInt64BE(i + 2)) : b1;
      const opcode = b0 & 0x0f;
      if (!this.parse && opcode === 1) {
        // Only the message's type is looked at: `{"type":"event"` (bytes 9 and 10 of the payload
        // are `e`, `v`); anything else (an error before a close) goes to the parsing path.
        if (n - i < hdr + Math.min(len, 11)) break;
        if (len < 11 || buf[i + hdr + 9] !== 0x65 || buf[i + hdr + 10] !== 0x76) {
          if (n - i < hdr + len) break;
          this.onFrame(opcode, buf.subarray(i + hdr, i + hdr + len));
          i += hdr + len;
          continue;
        }
        this.frames += 1;
        this.skip = len - Math.min(len, n - i - hdr);
        i += hdr + Math.min(len, n - i - hdr);
        continue;
      }
      // The payload is needed: wait for all of it.
      if (n - i < hdr + len) break;
      this.onFrame(opcode, buf.subarray(i + hdr, i + hdr + len));
      i += hdr + len;
    }
    if (i < n) this.rest = Buffer.from(buf.subarray(i));
  }

  /** A whole frame, parsed (before `subscribed`, on the checker, or a text frame that is no event). */
  onFrame(opcode, payload) {
    if (opcode === 9) return void this.socket.write(clientFrame(0xa, payload)); // ping -> pong
    if (opcode === 8) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      closes.set(code, (closes.get(code) ?? 0) + 1);
      this.closed = true;
      this.socket.destroy();
      return;
    }
    if (opcode !== 1) return;
    const m = JSON.parse(payload.toString('utf8'));
    if (!this.ready) {
      if (m.type === 'ready') this.socket.write(clientFrame(1, Buffer.from(JSON.stringify(subscribeMessage))));
      // A subscription by job id sends each job's snapshot before `subscribed`.
      else if (m.type === 'snapshot') checker.other.set('snapshot', (checker.other.get('snapshot') ?? 0) + 1);
      else if (m.type === 'subscribed') {
        this.ready = true;
        this.parse = this.index === 0;
        this.onSubscribed?.();
      }
      return;
    }
    if (m.type !== 'event') {
      // Any socket's messages other than events (counted for the report, in the checker's figures).
      const k = m.type === 'error' ? m.code : m.type;
      return void checker.other.set(k, (checker.other.get(k) ?? 0) + 1);
    }
    this.frames += 1;
    if (this.index !== 0) return;
    checker.events += 1;
    const last = checker.last.get(m.jobId);
    if (last !== undefined) {
      if (m.seq <= last) checker.duplicates += 1;
      else checker.gaps += m.seq - last - 1;
    }
    if (last === undefined || m.seq > last) checker.last.set(m.jobId, m.seq);
  }

  close() {
    this.closed = true;
    this.socket?.destroy();
  }
}

async function connectMany(n, concurrency) {
  const start = sockets.length;
  for (let i = 0; i < n; i++) sockets.push(new RawSubscriber(start + i));
  let next = start;
  let connected = 0;
  const failures = new Map();
  const lane = async () => {
    while (next < sockets.length) {
      const s = sockets[next++];
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await s.connect(30_000);
          connected += 1;
          break;
        } catch (err) {
          failures.set(err.code ?? err.message, (failures.get(err.code ?? err.message) ?? 0) + 1);
          Object.assign(s, { rest: null, skip: 0, handshake: true, parse: true });
          await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  return { connected, failures: Object.fromEntries(failures) };
}

process.on('message', async (msg) => {
  if (msg?.rawSubs === 'connect') {
    subscribeMessage = msg.subscribe ?? { type: 'subscribe', all: true };
    process.send?.({ rawSubsConnected: await connectMany(msg.n, msg.concurrency) });
  } else if (msg?.rawSubs === 'total') {
    let total = 0;
    for (const s of sockets) total += s.frames;
    process.send?.({ rawSubsTotal: total });
  } else if (msg?.rawSubs === 'mark') {
    // Counts start again from here (the checker's too).
    for (const s of sockets) s.frames = 0;
    Object.assign(checker, { events: 0, gaps: 0, duplicates: 0, last: new Map(), other: new Map() });
    process.send?.({ rawSubsMarked: sockets.filter((s) => s.ready).length });
  } else if (msg?.rawSubs === 'snapshots') {
    // `snapshot` messages every socket got since the mark (the storm mode waits for n x M of them).
    process.send?.({ rawSubsSnapshots: checker.other.get('snapshot') ?? 0 });
  } else if (msg?.rawSubs === 'counts') {
    const perSocket = sockets.filter((s) => s.ready || s.frames > 0).map((s) => s.frames);
    process.send?.({
      rawSubsCounts: {
        total: perSocket.reduce((a, b) => a + b, 0),
        perSocket,
        open: sockets.filter((s) => s.ready).length,
        closes: Object.fromEntries(closes),
        checker: { events: checker.events, gaps: checker.gaps, duplicates: checker.duplicates, jobs: checker.last.size, other: Object.fromEntries(checker.other) },
      },
    });
  } else if (msg?.rawSubs === 'close') {
    for (const s of sockets) s.close();
    process.send?.({ rawSubsClosed: sockets.length });
    sockets.length = 0;
  }
});
setInterval(() => undefined, 1 << 30);
process.send?.({ rawSubsReady: true });
