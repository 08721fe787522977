import WebSocket from 'ws';
import type { StructuredLogger } from '../logger.js';
import { parseBinaryFrame, type BinaryFrame } from './binary-frames.js';
import { backendUnavailable } from './errors.js';
import { parseTextFrame, type ComfyMessage } from './messages.js';

export interface ComfySocketOptions {
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Ping interval; a socket that misses a pong is dropped and reconnected. */
  heartbeatMs: number;
  /** Bound on one connection attempt. */
  connectMs: number;
}

export interface ComfySocketHandlers {
  onMessage(message: ComfyMessage): void;
  onBinary(frame: BinaryFrame): void;
  /** `reconnected` is false for the very first connection. */
  onOpen(reconnected: boolean): void;
  /** An open socket was lost (events sent meanwhile are gone for good). */
  onDrop(): void;
  /** A text frame could not be read or handled: whatever it said is lost, as in a drop, but the socket stays. */
  onUnreadable(): void;
}

/** Previews can be large; anything bigger than this is not a ComfyUI frame. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * The one WebSocket to a ComfyUI backend, under a stable client id so every prompt submitted with
 * that id reports here. Reconnects with exponential backoff and jitter until closed; negotiates
 * type-4 previews (which carry the prompt id); never lets a bad frame escape.
 */
export class ComfySocket {
  private ws: WebSocket | null = null;
  private open = false;
  private everOpened = false;
  private closed = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];

  constructor(
    private readonly url: string,
    private readonly options: ComfySocketOptions,
    private readonly handlers: ComfySocketHandlers,
    private readonly logger: StructuredLogger,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  /** Resolves once connected, connecting now if needed; rejects BACKEND_UNAVAILABLE if this attempt fails. */
  ensureOpen(): Promise<void> {
    if (this.closed) return Promise.reject(backendUnavailable('The driver is closed'));
    if (this.open) return Promise.resolve();
    const wait = new Promise<void>((resolve, reject) => {
      // ws's handshakeTimeout bounds the handshake; this bounds the wait as a whole.
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(backendUnavailable(`Timed out connecting to ${this.url}`));
      }, this.options.connectMs);
      const waiter = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err: Error) => (clearTimeout(timer), reject(err)),
      };
      this.waiters.push(waiter);
    });
    if (!this.ws) {
      clearTimeout(this.reconnectTimer); // someone needs it now: skip the backoff
      this.connect();
    }
    return wait;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeat);
    this.settleWaiters(backendUnavailable('The driver is closed'));
    this.ws?.terminate();
    this.ws = null;
  }

  private connect(): void {
    const ws = new WebSocket(this.url, { handshakeTimeout: this.options.connectMs, maxPayload: MAX_FRAME_BYTES });
    this.ws = ws;
    let alive = true;
    ws.on('open', () => {
      this.open = true;
      this.attempts = 0;
      // Must be the first message: opts into type-4 previews, which name their prompt.
      ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      this.heartbeat = setInterval(() => {
        if (!alive) return void ws.terminate();
        alive = false;
        ws.ping();
      }, this.options.heartbeatMs).unref();
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.settleWaiters();
      this.handlers.onOpen(reconnected);
    });
    ws.on('pong', () => (alive = true));
    ws.on('message', (data, isBinary) => this.dispatch(data, isBinary));
    ws.on('error', (err) => this.logger.debug({ err: err.message }, 'comfyui: websocket error'));
    ws.on('close', () => {
      const wasOpen = this.open;
      this.open = false;
      this.ws = null;
      clearInterval(this.heartbeat);
      if (!wasOpen) this.settleWaiters(backendUnavailable(`Cannot connect to ${this.url}`));
      if (this.closed) return;
      if (wasOpen) this.handlers.onDrop();
      this.scheduleReconnect();
    });
  }

  private dispatch(data: WebSocket.RawData, isBinary: boolean): void {
    try {
      const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) {
        const frame = parseBinaryFrame(buffer);
        if (frame) this.handlers.onBinary(frame);
      } else {
        const message = parseTextFrame(buffer.toString('utf8'));
        if (message) this.handlers.onMessage(message);
        else this.unreadable('comfyui: a websocket text frame is not a {type, data} JSON message (NaN in a node UI?)');
      }
    } catch (err) {
      this.unreadable('comfyui: failed to handle a websocket frame', err);
    }
  }

  private unreadable(why: string, err?: unknown): void {
    this.logger.warn(err === undefined ? {} : { err: String(err) }, why);
    try {
      this.handlers.onUnreadable();
    } catch (handlerErr) {
      this.logger.warn({ err: String(handlerErr) }, 'comfyui: failed to handle an unreadable websocket frame');
    }
  }

  private scheduleReconnect(): void {
    const ceiling = Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** this.attempts);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempts += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private settleWaiters(err?: Error): void {
    for (const waiter of this.waiters.splice(0)) {
      if (err) waiter.reject(err);
      else waiter.resolve();
    }
  }
}
