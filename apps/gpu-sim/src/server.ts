import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListeningHub } from './a1111/listening-hub.js';
import { a1111Routes } from './a1111/routes.js';
import { OutputCache } from './execution/cache.js';
import { ExecutionLog, type ExecutionRecord } from './execution/execution-log.js';
import { GpuState } from './execution/gpu-state.js';
import { InterruptFlag } from './execution/interrupt.js';
import { PromptWorker } from './execution/prompt-worker.js';
import { FaultState, type FaultConfig } from './faults.js';
import { historyRoutes } from './http/history-routes.js';
import { infoRoutes } from './http/info-routes.js';
import { promptRoutes } from './http/prompt-routes.js';
import { createRequestListener, text } from './http/router.js';
import { simRoutes } from './http/sim-routes.js';
import { viewRoute } from './http/view-route.js';
import { uploadRoutes } from './http/upload-routes.js';
import { buildNodeTypes } from './nodes/node-types.js';
import { resolveOptions, type GpuSimOptions } from './options.js';
import { createSimDirs, removeSimDirs } from './output/sim-dirs.js';
import { HistoryStore } from './queue/history-store.js';
import { PromptQueue } from './queue/prompt-queue.js';
import type { SimContext, UploadRecord } from './sim-context.js';

/** A running sim. */
export interface GpuSimHandle {
  /** `http://host:port`, the ComfyUI base URL. */
  readonly url: string;
  /** `ws://host:port/ws`. */
  readonly wsUrl: string;
  readonly host: string;
  readonly port: number;
  readonly name: string;
  /** Where SaveImage writes (removed on close). */
  readonly outputDir: string;
  /** Merges faults into the active ones (`{ hang: undefined }` clears one). Throws on invalid values. */
  setFaults(faults: FaultConfig): void;
  clearFaults(): void;
  faults(): Readonly<FaultConfig>;
  /** Drops every WebSocket connection now, without a close handshake. */
  dropSockets(): void;
  /** Client ids that currently have a socket. */
  clientIds(): string[];
  /** Prompts that ran to success, oldest first (only those carrying `marker` when given). */
  executions(marker?: string): ExecutionRecord[];
  /** File uploads (`/upload/image`, `/upload/mask`, A1111 img2img images) taken so far, oldest first. */
  uploads(): readonly UploadRecord[];
  /** Stops work, closes sockets and the server, removes the sim's directories. Idempotent. */
  close(): Promise<void>;
}

/** ComfyUI 2025-10 `feature_flags.get_server_features()`. */
const FEATURES = { supports_preview_metadata: true, max_upload_size: 104857600 };

/** Starts a ComfyUI-compatible simulated GPU server. */
export async function startGpuSim(options: GpuSimOptions = {}): Promise<GpuSimHandle> {
  const opts = resolveOptions(options);
  const dirs = await createSimDirs();
  const shutdown = new AbortController();
  const faults = new FaultState(opts.faults);
  const gpu = new GpuState(opts.vramMb);
  const cache = new OutputCache();
  const history = new HistoryStore();
  const interrupt = new InterruptFlag();
  const executions = new ExecutionLog(opts.name, opts.executionsFile);
  const types = buildNodeTypes(opts.modelFiles);
  // The hub and the queue refer to each other (status broadcasts, queue_remaining), hence the late binding.
  const late: { worker?: PromptWorker } = {};
  const queue = new PromptQueue(() => hub.broadcastStatus());
  const hub = new ListeningHub({ features: FEATURES, queueRemaining: () => queue.remaining(), onConnected: (sid) => late.worker?.connected(sid) });
  const worker = new PromptWorker(queue, history, { hub, types, cache, faults, gpu, interrupt, dirs, stepMs: opts.stepMs, modelLoadMs: opts.modelLoadMs, previews: opts.previews, shutdown: shutdown.signal }, executions);
  late.worker = worker;
  const ctx: SimContext = { name: opts.name, models: opts.models, modelFiles: opts.modelFiles, types, queue, history, worker, hub, cache, gpu, faults, executions, dirs, features: FEATURES, counter: { number: 0 }, uploads: [] };

  const routes = [...promptRoutes(ctx), ...historyRoutes(ctx), ...infoRoutes(ctx), viewRoute(ctx), ...uploadRoutes(ctx), ...simRoutes(ctx), ...a1111Routes(ctx, { hub, shutdown: shutdown.signal })];
  const injectedError = (path: string) => {
    const status = faults.httpError(path);
    // aiohttp's text for its own 500; any other status as a bare proxy would send it.
    return status === undefined ? undefined : text(status, status === 500 ? '500 Internal Server Error\n\nServer got itself in trouble' : `${status}: injected by gpu-sim`);
  };
  const server = createServer(createRequestListener(routes, injectedError));
  server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  try {
    await listen(server, opts.port, opts.host);
  } catch (err) {
    await removeSimDirs(dirs);
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const authority = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${authority}`,
    wsUrl: `ws://${authority}/ws`,
    host: opts.host,
    port,
    name: opts.name,
    outputDir: dirs.output,
    setFaults: (patch) => faults.set(patch),
    clearFaults: () => faults.clear(),
    faults: () => faults.get(),
    dropSockets: () => hub.dropAll(),
    clientIds: () => hub.clientIds(),
    executions: (marker) => executions.list(marker),
    uploads: () => ctx.uploads,
    close: () =>
      (closing ??= (async () => {
        shutdown.abort();
        // Wait for the running prompt to stop before its output folder is removed.
        await worker.close();
        await hub.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await removeSimDirs(dirs);
      })()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
