import { randomUUID } from 'node:crypto';
import { AppError, toAppError, type Workflow } from '@gantry/domain';
import type { BackendDriver, DownloadedFile, OutputFile, RunOptions, RunResult } from '../driver.js';
import { silentLogger, withFields, type DriverLogger } from '../logger.js';
import type { BinaryFrame } from './binary-frames.js';
import { backendUnavailable, canceled } from './errors.js';
import { ComfyHttpClient } from './http-client.js';
import { promptIdOf, type ComfyMessage } from './messages.js';
import { DEFAULT_TIMEOUTS, type ComfyUiDriverOptions, type ComfyUiTimeouts } from './options.js';
import { PromptRun } from './prompt-run.js';
import { ComfySocket } from './socket.js';

/** Messages that old servers send without `prompt_id`; they belong to whatever of ours is executing. */
const ROUTED_WITHOUT_ID = new Set(['progress', 'executing', 'executed']);

/**
 * A ComfyUI backend: one WebSocket under a stable client id, prompts submitted with that id and
 * our prompt id, and every event routed to its run by `prompt_id`.
 */
export class ComfyUiDriver implements BackendDriver {
  readonly id: string;
  readonly url: string;
  readonly clientId: string;
  private readonly timeouts: ComfyUiTimeouts;
  private readonly logger: DriverLogger;
  private readonly http: ComfyHttpClient;
  private readonly socket: ComfySocket;
  private readonly runs = new Map<string, PromptRun>();
  /** Our prompt that is executing now (between its `execution_start` and its barrier). */
  private executing: string | null = null;
  private closed = false;

  constructor(options: ComfyUiDriverOptions) {
    this.id = options.id;
    this.url = options.url.replace(/\/+$/, '');
    this.clientId = options.clientId ?? randomUUID();
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.logger = options.logger ? withFields(options.logger, { backend: this.id }) : silentLogger;
    this.http = new ComfyHttpClient(this.url, { requestMs: this.timeouts.requestMs, downloadMs: this.timeouts.downloadMs, maxDownloadBytes: options.maxDownloadBytes ?? 512 * 1024 * 1024 });
    const wsUrl = `${this.url.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(this.clientId)}`;
    this.socket = new ComfySocket(wsUrl, this.timeouts, {
      onMessage: (message) => this.route(message),
      onBinary: (frame) => this.routeBinary(frame),
      onOpen: (reconnected) => {
        if (!reconnected) return;
        this.logger.info({ runs: this.runs.size }, 'comfyui: websocket reconnected; reconciling runs');
        for (const run of [...this.runs.values()]) run.socketReopened();
      },
      onDrop: () => {
        this.logger.warn({ runs: this.runs.size }, 'comfyui: websocket dropped; reconnecting');
        this.executing = null;
        for (const run of [...this.runs.values()]) run.socketDropped();
      },
    }, this.logger);
  }

  async run(workflow: Workflow, options: RunOptions): Promise<RunResult> {
    if (this.closed) throw backendUnavailable(`Driver for backend ${this.id} is closed`);
    if (options.signal.aborted) throw canceled(options.promptId);
    if (this.runs.has(options.promptId)) throw new AppError('CONFLICT', `Prompt ${options.promptId} is already running on backend ${this.id}`);
    await this.socket.ensureOpen();
    if (options.signal.aborted) throw canceled(options.promptId);
    const run = new PromptRun(options, {
      http: this.http,
      clientId: this.clientId,
      logger: this.logger,
      timeouts: this.timeouts,
      isSocketOpen: () => this.socket.isOpen,
      onPromptId: (previous, next) => {
        this.runs.delete(previous);
        this.runs.set(next, run);
      },
      onSettled: (settled) => {
        if (this.runs.get(settled.promptId) === settled) this.runs.delete(settled.promptId);
        if (this.executing === settled.promptId) this.executing = null;
      },
    });
    this.runs.set(options.promptId, run);
    run.submit(workflow).catch((err: unknown) => run.fail(toAppError(err)));
    return run.promise;
  }

  download(file: OutputFile): Promise<DownloadedFile> {
    return this.http.view(file);
  }

  interrupt(promptId: string): Promise<void> {
    return this.http.interrupt(promptId);
  }

  /** Closes the socket; runs still in progress reject BACKEND_UNAVAILABLE (their prompts keep running on the backend). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    for (const run of [...this.runs.values()]) run.fail(backendUnavailable(`Driver for backend ${this.id} was closed during the run`));
  }

  private route(message: ComfyMessage): void {
    const promptId = promptIdOf(message);
    if (message.type === 'execution_start' && promptId !== null && this.runs.has(promptId)) this.executing = promptId;
    const target = promptId ?? (ROUTED_WITHOUT_ID.has(message.type) ? this.executing : null);
    if (target === null) return; // status, feature_flags, or another client's broadcast
    this.runs.get(target)?.handle(message);
    if (message.type === 'executing' && message.data.node === null && this.executing === target) this.executing = null;
  }

  private routeBinary(frame: BinaryFrame): void {
    if (frame.kind !== 'preview') return; // type 3 text and unknown types are not ours to act on
    const target = frame.promptId ?? this.executing;
    if (target !== null) this.runs.get(target)?.preview(frame);
  }
}

/** Creates a ComfyUI driver. It connects lazily, on the first run. */
export function createComfyUiDriver(options: ComfyUiDriverOptions): ComfyUiDriver {
  return new ComfyUiDriver(options);
}
