import { WebSocket } from 'ws';

export interface StreamClientOptions {
  key?: string;
  /** Send the key in Sec-WebSocket-Protocol (default) or in a first `auth` message. */
  authVia?: 'protocol' | 'message' | 'none';
  origin?: string;
}

/** A WebSocket test client for /api/v1/stream that records every message and the close. */
export class StreamClient {
  readonly messages: any[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()));
      this.waiters.splice(0).forEach((w) => w());
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => this.waiters.splice(0).forEach((w) => w()));
  }

  static async connect(baseUrl: string, options: StreamClientOptions = {}): Promise<StreamClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/api/v1/stream`;
    const via = options.authVia ?? 'protocol';
    const protocols = ['gantry.v1', ...(via === 'protocol' && options.key ? [`gantry.key.${options.key}`] : [])];
    const ws = new WebSocket(url, protocols, { headers: options.origin ? { origin: options.origin } : {} });
    const client = new StreamClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    if (via === 'message' && options.key) client.send({ type: 'auth', key: options.key });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Waits for the first recorded message (from `from` on) matching `match`. */
  async next(match: (m: any) => boolean, timeoutMs = 45_000, from = 0): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Events of one job, in arrival order. */
  events(jobId: string): any[] {
    return this.messages.filter((m) => m.type === 'event' && m.jobId === jobId);
  }

  close(): void {
    this.ws.terminate();
  }
}
