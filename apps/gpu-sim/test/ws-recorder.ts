import WebSocket from 'ws';

export interface Received {
  type: string;
  data: Record<string, unknown>;
}

/** A test WebSocket client that records every message and can wait (bounded) for one. */
export class WsRecorder {
  readonly messages: Received[] = [];
  readonly binary: Buffer[] = [];
  private readonly listeners = new Set<() => void>();
  private closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const buffer = data as Buffer;
      if (isBinary) this.binary.push(buffer);
      else this.messages.push(JSON.parse(buffer.toString('utf8')) as Received);
      for (const listener of this.listeners) listener();
    });
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
  }

  static async connect(url: string): Promise<WsRecorder> {
    const recorder = new WsRecorder(new WebSocket(url));
    await recorder.waitFor((m) => m.type === 'status');
    return recorder;
  }

  send(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /** Resolves with the first recorded message (past or future) matching `predicate`. */
  waitFor(predicate: (m: Received) => boolean, timeoutMs = 5000): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.messages.find(predicate);
        if (found) {
          this.listeners.delete(listener);
          clearTimeout(timer);
          resolve(found);
        }
        return found !== undefined;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out; got: ${this.messages.map((m) => m.type).join(', ')}`));
      }, timeoutMs);
      this.listeners.add(listener);
      check();
    });
  }

  /** Messages about one prompt, in order. */
  forPrompt(promptId: string): Received[] {
    return this.messages.filter((m) => m.data.prompt_id === promptId);
  }

  /** Resolves once the server closed the socket (bounded). */
  whenClosed(timeoutMs = 5000): Promise<void> {
    return Promise.race([this.closed, new Promise<void>((_, reject) => setTimeout(() => reject(new Error('socket not closed')), timeoutMs).unref())]);
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    await this.closed;
  }
}

/** The default workflow shrunk for fast tests. */
export function smallWorkflow(base: Record<string, { class_type: string; inputs: Record<string, unknown> }>, overrides: { steps?: number; seed?: number; width?: number; height?: number; batch?: number; text?: string } = {}) {
  const wf = structuredClone(base);
  wf['3']!.inputs.steps = overrides.steps ?? 4;
  wf['3']!.inputs.seed = overrides.seed ?? 42;
  wf['5']!.inputs.width = overrides.width ?? 64;
  wf['5']!.inputs.height = overrides.height ?? 48;
  wf['5']!.inputs.batch_size = overrides.batch ?? 1;
  if (overrides.text !== undefined) wf['6']!.inputs.text = overrides.text;
  return wf;
}
