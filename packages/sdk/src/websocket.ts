/**
 * The part of the WebSocket API the SDK uses: the browser's `WebSocket` and the `ws` package's
 * (Node 20 has no global WebSocket) both fit it.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `globalThis.WebSocket` where there is one (browsers, Node 22+). */
export function globalWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
}

const OPEN = 1;

export function isOpen(ws: WebSocketLike): boolean {
  return ws.readyState === OPEN;
}

/** A text frame's data as a string (ws may hand over a Buffer, browsers a string). */
export function frameText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return new TextDecoder().decode(data as ArrayBuffer);
  return null;
}
