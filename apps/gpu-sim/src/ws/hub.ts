import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { isPlainObject } from '../prompt.js';

export interface WsHubOptions {
  /** What `feature_flags` negotiation answers with (also `GET /features`). */
  features: Record<string, unknown>;
  queueRemaining: () => number;
  /** Runs after the initial `status`, e.g. to tell a reconnecting owner which node is executing. */
  onConnected?: (sid: string) => void;
}

/**
 * ComfyUI's `/ws` endpoint: one socket per client id (sid), the first message is `status` with
 * the sid, the first client text message may negotiate feature flags, and every event goes to
 * one sid or, with sid `null`, to everyone. Events for an unknown sid are dropped, not buffered.
 */
export class WsHub {
  // Clients only ever send the tiny feature_flags message; ws's default limit is 100 MiB.
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly sockets = new Map<string, WebSocket>();
  private readonly flags = new Map<string, Record<string, unknown>>();

  constructor(private readonly options: WsHubOptions) {}

  /** Handles an HTTP upgrade for `/ws` or `/api/ws`; anything else is refused. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, url.searchParams.get('clientId') ?? ''));
  }

  private accept(ws: WebSocket, requestedSid: string): void {
    const sid = requestedSid || randomUUID().replace(/-/g, '');
    // Reusing a sid replaces the old registration ("Reusing existing session, remove old").
    this.sockets.set(sid, ws);
    this.flags.set(sid, {});
    let negotiating = true;
    ws.on('message', (data, isBinary) => {
      if (!negotiating || isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return; // ComfyUI keeps waiting for a first message that parses
      }
      negotiating = false;
      if (isPlainObject(message) && message.type === 'feature_flags') {
        this.flags.set(sid, isPlainObject(message.data) ? message.data : {});
        sendJson(ws, 'feature_flags', this.options.features);
      }
    });
    ws.on('close', () => {
      // Only unregister if this socket still owns the sid: newer ComfyUI guards the same way, so a
      // stale socket closing late cannot silence the client's new connection.
      if (this.sockets.get(sid) === ws) {
        this.sockets.delete(sid);
        this.flags.delete(sid);
      }
    });
    ws.on('error', () => ws.terminate());
    sendJson(ws, 'status', { status: { exec_info: { queue_remaining: this.options.queueRemaining() } }, sid });
    this.options.onConnected?.(sid);
  }

  /** Sends `{type, data}` to `sid`, or to every socket when `sid` is null. */
  send(type: string, data: unknown, sid: string | null): void {
    if (sid === null) for (const ws of this.sockets.values()) sendJson(ws, type, data);
    else {
      const ws = this.sockets.get(sid);
      if (ws) sendJson(ws, type, data);
    }
  }

  /** Sends a text frame as it is (not necessarily JSON) to `sid`. */
  sendText(text: string, sid: string): void {
    const ws = this.sockets.get(sid);
    if (ws?.readyState === WebSocket.OPEN) ws.send(text);
  }

  /** Sends a binary frame with the same routing as `send`. */
  sendBytes(bytes: Buffer, sid: string | null): void {
    const targets = sid === null ? [...this.sockets.values()] : [this.sockets.get(sid)];
    for (const ws of targets) if (ws?.readyState === WebSocket.OPEN) ws.send(bytes, { binary: true });
  }

  /** `supports_feature(sid, 'supports_preview_metadata')`: the client sent exactly `true`. */
  supportsPreviewMetadata(sid: string | null): boolean {
    return sid !== null && this.flags.get(sid)?.supports_preview_metadata === true;
  }

  /** The queue changed: `status` without `sid`, to everyone. */
  broadcastStatus(): void {
    this.send('status', { status: { exec_info: { queue_remaining: this.options.queueRemaining() } } }, null);
  }

  /** Client ids with a registered socket. */
  clientIds(): string[] {
    return [...this.sockets.keys()];
  }

  /** Drops every connection without a close handshake, as a network failure would. */
  dropAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

function sendJson(ws: WebSocket, type: string, data: unknown): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type, data }));
}
