import { WsHub } from '../ws/hub.js';

/** What an in-process client receives: the JSON events and the binary frames sent to its client id. */
export interface HubListener {
  message(type: string, data: Record<string, unknown>): void;
  bytes(frame: Buffer): void;
}

/**
 * The sim's WebSocket hub plus in-process clients. The A1111 API runs each txt2img as a ComfyUI
 * prompt of its own (so both APIs share the one simulated GPU queue) under a client id that has
 * no socket: events for such an id go to its listener instead of being dropped. Observers see
 * every targeted event (the A1111 memory stats count OOMs from them); queue watchers run whenever
 * the prompt queue changes (a prompt removed by `POST /queue` must not leave a request waiting).
 */
export class ListeningHub extends WsHub {
  private readonly listeners = new Map<string, HubListener>();
  private readonly observers = new Set<(type: string, data: unknown) => void>();
  private readonly queueWatchers = new Set<() => void>();

  /** Routes events for `sid` to `listener` until the returned function is called. */
  listen(sid: string, listener: HubListener): () => void {
    this.listeners.set(sid, listener);
    return () => {
      if (this.listeners.get(sid) === listener) this.listeners.delete(sid);
    };
  }

  /** Sees every event sent through the hub, whoever it is for. */
  observe(observer: (type: string, data: unknown) => void): void {
    this.observers.add(observer);
  }

  /** Runs `watcher` after each queue change until the returned function is called. */
  watchQueue(watcher: () => void): () => void {
    this.queueWatchers.add(watcher);
    return () => void this.queueWatchers.delete(watcher);
  }

  override send(type: string, data: unknown, sid: string | null): void {
    for (const observer of this.observers) observer(type, data);
    const listener = sid === null ? undefined : this.listeners.get(sid);
    if (!listener) return super.send(type, data, sid);
    listener.message(type, typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {});
  }

  override sendBytes(bytes: Buffer, sid: string | null): void {
    const listener = sid === null ? undefined : this.listeners.get(sid);
    if (listener) listener.bytes(bytes);
    else super.sendBytes(bytes, sid);
  }

  override broadcastStatus(): void {
    super.broadcastStatus();
    for (const watcher of [...this.queueWatchers]) watcher();
  }
}
