import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  /** Date.now() when the request arrived. */
  at: number;
  headers: http.IncomingHttpHeaders;
  /** The exact bytes received (what a receiver must verify). */
  rawBody: string;
  body: any;
}

/** One scripted answer: a status, or a status with headers. */
export type ScriptedAnswer = number | { status: number; headers: Record<string, string> };

/**
 * A webhook receiver on 127.0.0.1 for tests. Each path answers from its script (the last answer
 * repeats; default 200) and records every request.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly scripts = new Map<string, ScriptedAnswer[]>();
  private server: http.Server | null = null;
  port = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        let body: unknown = null;
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = null;
        }
        this.received.push({ path, at: Date.now(), headers: req.headers, rawBody, body });
        const script = this.scripts.get(path) ?? [];
        const answer = script.length > 1 ? script.shift()! : (script[0] ?? 200);
        const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(status < 300 ? 'ok' : `status ${status}`);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Answers on `path`: the given statuses in order, then the last one forever. */
  script(path: string, answers: ScriptedAnswer[]): void {
    this.scripts.set(path, [...answers]);
  }

  on(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}
