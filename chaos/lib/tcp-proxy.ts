/**
 * A fault-injecting TCP proxy (node:net) for one upstream, e.g. between the workers and one
 * gpu-sim: everything a worker says to its backend (HTTP, the WebSocket, health probes) passes
 * through it, so the network between them can be broken on demand.
 *
 * Modes:
 *   pass    forward both ways (the default)
 *   hang    accept connections but forward nothing, either way, on new and open connections alike:
 *           a backend that stopped answering without closing anything (a hung host, a black hole)
 *   refuse  stop listening: connecting gets ECONNREFUSED, open connections are reset (backend gone)
 * plus `dropAll()`: reset every open connection now (a network drop; new ones pass again).
 *
 * Going back to `pass` resumes held connections (bytes withheld during a hang are then delivered,
 * as TCP would after a partition heals) and listens again on the same port.
 */
import net from 'node:net';

export type ProxyMode = 'pass' | 'hang' | 'refuse';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  flowing: boolean;
}

export class FaultProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private currentMode: ProxyMode = 'pass';
  private boundPort = 0;

  private constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on 127.0.0.1:`port` (0: a free port) and forwards to `target`. */
  static async start(target: { host: string; port: number }, port = 0): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    proxy.boundPort = await proxy.listen(port);
    return proxy;
  }

  /** The listening port; kept across `refuse`, so URLs given out stay valid. */
  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get mode(): ProxyMode {
    return this.currentMode;
  }

  /** Connections open through the proxy right now. */
  get connections(): number {
    return this.pairs.size;
  }

  async setMode(mode: ProxyMode): Promise<void> {
    if (mode === this.currentMode) return;
    const previous = this.currentMode;
    this.currentMode = mode;
    if (mode === 'refuse') {
      this.dropAll();
      await this.closeListener();
      return;
    }
    if (previous === 'refuse') await this.listen(this.port);
    if (mode === 'pass') for (const pair of this.pairs) this.resume(pair);
    else for (const pair of this.pairs) this.hold(pair);
  }

  /** Resets every open connection (both sides see ECONNRESET); the proxy keeps its mode. */
  dropAll(): number {
    const count = this.pairs.size;
    for (const pair of [...this.pairs]) this.destroy(pair);
    return count;
  }

  async close(): Promise<void> {
    this.dropAll();
    await this.closeListener();
  }

  private listen(port: number): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = null;
    return server ? new Promise((resolve) => server.close(() => resolve())) : Promise.resolve();
  }

  private accept(client: net.Socket): void {
    const pair: Pair = { client, upstream: null, flowing: false };
    this.pairs.add(pair);
    client.on('error', () => this.destroy(pair));
    client.on('close', () => this.destroy(pair));
    if (this.currentMode === 'hang') this.hold(pair);
    else this.resume(pair);
  }

  /**
   * Stops moving bytes: unpiped (so a later 'drain' cannot restart the flow) and paused on both
   * sides; unread data waits in the kernel buffers.
   */
  private hold(pair: Pair): void {
    if (pair.upstream && pair.flowing) {
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
    }
    pair.flowing = false;
    pair.client.pause();
    pair.upstream?.pause();
  }

  /** Connects upstream if not yet done, and lets bytes flow both ways. */
  private resume(pair: Pair): void {
    if (!pair.upstream) {
      const upstream = net.connect(this.target);
      pair.upstream = upstream;
      upstream.on('error', () => this.destroy(pair));
      upstream.on('close', () => this.destroy(pair));
    }
    if (pair.flowing) return;
    pair.flowing = true;
    // pipe() handles backpressure, forwards the end of the stream (a FIN) and resumes the source.
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  }

  private destroy(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    reset(pair.client);
    if (pair.upstream) reset(pair.upstream);
  }
}

/** An abrupt close (RST where the platform allows it), as a dropped connection looks to a peer. */
function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'opening') socket.resetAndDestroy();
  else socket.destroy();
}
