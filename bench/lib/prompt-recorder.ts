// A pass-through in front of a gpu-sim for the dispatch benchmark: every request and WebSocket is
// forwarded unchanged, and the arrival time of each `POST /prompt` is recorded under the prompt's
// SaveImage `filename_prefix` (the bench's per-job marker). Both ways under test (Gantry and the
// bare BullMQ skeleton) post through it, so the hop costs them alike.
import http from 'node:http';
import net from 'node:net';

export interface PromptRecorder {
  url: string;
  /** Arrival time (wall-clock ms, sub-millisecond: performance.timeOrigin + performance.now()) of the first POST /prompt of each marker. */
  arrivals: Map<string, number>;
  close(): Promise<void>;
}

function markerOf(body: string): string | null {
  try {
    const prompt = (JSON.parse(body) as { prompt?: Record<string, { class_type?: string; inputs?: { filename_prefix?: unknown } }> }).prompt ?? {};
    for (const node of Object.values(prompt)) {
      if (node.class_type === 'SaveImage' && typeof node.inputs?.filename_prefix === 'string') return node.inputs.filename_prefix;
    }
  } catch {
    // not JSON: forwarded as it is
  }
  return null;
}

export async function startPromptRecorder(target: string): Promise<PromptRecorder> {
  const to = new URL(target);
  const arrivals = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const arrived = performance.timeOrigin + performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url?.startsWith('/prompt')) {
        const marker = markerOf(body.toString('utf8'));
        if (marker !== null && !arrivals.has(marker)) arrivals.set(marker, arrived);
      }
      const headers = { ...req.headers, host: to.host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers, agent }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });
  // WebSocket (and any other upgrade): a raw TCP pipe to the sim after replaying the request head.
  server.on('upgrade', (req, socket, head) => {
    const upstream = net.connect(Number(to.port), to.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] as string;
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? to.host : req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const end = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', end);
    socket.on('error', end);
    upstream.on('close', end);
    socket.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
