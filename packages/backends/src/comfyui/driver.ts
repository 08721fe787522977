import { randomUUID } from 'node:crypto';
import { AppError, toAppError, type Workflow } from '@gantry/domain';
import type { BackendDriver, OutputDownload, OutputFile, PromptStatus, RunOptions, RunResult } from '../driver.js';
import { promptUnknown } from '../follow-errors.js';
import { silentStructuredLogger, withFields, type StructuredLogger } from '../logger.js';
import { ClientChannel } from './client-channel.js';
import { backendUnavailable, canceled } from './errors.js';
import { runOutcomeFromHistory } from './history-outcome.js';
import { ComfyHttpClient } from './http-client.js';
import { lookupPrompt } from './lookup.js';
import { DEFAULT_TIMEOUTS, type ComfyUiDriverOptions, type ComfyUiTimeouts } from './options.js';
import { findPrompt } from './prompt-lookup.js';
import { PromptRun } from './prompt-run.js';
import { NodeUiMemory } from './socket-outputs.js';
import type { InputFile, InputUploader } from './upload-input.js';

/**
 * A ComfyUI backend: one WebSocket under a stable client id, prompts submitted with that id and
 * our prompt id, and every event routed to its run by `prompt_id`. Following a prompt another
 * driver submitted opens a second socket under that driver's client id (see follow).
 */
export class ComfyUiDriver implements BackendDriver, InputUploader {
  readonly id: string;
  readonly url: string;
  readonly clientId: string;
  private readonly timeouts: ComfyUiTimeouts;
  private readonly logger: StructuredLogger;
  private readonly http: ComfyHttpClient;
  private readonly runs = new Map<string, PromptRun>();
  private readonly nodeUi = new NodeUiMemory();
  private readonly own: ClientChannel;
  /** Channels under other drivers' client ids, open while they carry a followed prompt. */
  private readonly adopted = new Map<string, ClientChannel>();
  private closed = false;

  constructor(options: ComfyUiDriverOptions) {
    this.id = options.id;
    this.url = options.url.replace(/\/+$/, '');
    this.clientId = options.clientId ?? randomUUID();
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.logger = options.logger ? withFields(options.logger, { backend: this.id }) : silentStructuredLogger;
    this.http = new ComfyHttpClient(this.url, { requestMs: this.timeouts.requestMs, downloadMs: this.timeouts.downloadMs, maxDownloadBytes: options.maxDownloadBytes ?? 512 * 1024 * 1024 });
    this.own = new ClientChannel(this.url, this.clientId, this.timeouts, this.runs, this.logger);
  }

  /** Puts an input file into the backend's input folder (before the run that loads it). */
  uploadInput(file: InputFile): Promise<void> {
    return this.http.uploadInput(file);
  }

  async run(workflow: Workflow, options: RunOptions): Promise<RunResult> {
    this.assertCanStart(options.promptId);
    if (options.signal.aborted) throw canceled(options.promptId);
    await this.own.socket.ensureOpen();
    if (options.signal.aborted) throw canceled(options.promptId);
    const run = this.track(options, this.own);
    run.submit(workflow).catch((err: unknown) => run.fail(toAppError(err)));
    return run.promise;
  }

  /**
   * Follows a prompt already on the backend. Its events go to the client id it was submitted with
   * (in `/queue`'s `extra_data`), so unless that is ours the driver connects under that id, which
   * is free once the driver that submitted it is gone; that id must not belong to a live driver,
   * which would stop receiving its events. The run then polls history until the end as well.
   */
  async follow(promptId: string, options: Omit<RunOptions, 'promptId'>): Promise<RunResult> {
    this.assertCanStart(promptId);
    const where = await findPrompt(this.http, promptId);
    if (where.kind === 'unknown') throw promptUnknown(promptId, this.id);
    if (where.kind === 'finished') {
      if (options.signal.aborted) throw canceled(promptId);
      const outcome = runOutcomeFromHistory(where.entry, promptId, this.logger);
      if (outcome.ok) return outcome.result;
      throw outcome.error;
    }
    this.assertCanStart(promptId); // the look-up awaited: the driver may have closed, or run it, meanwhile
    const channel = this.channelFor(where.clientId);
    const run = this.track({ ...options, promptId }, channel, where.state === 'running');
    // Attached first, so `started` precedes what the socket says on connecting; the run polls
    // history all along, so an end that passes before the socket listens is not missed.
    run.attach(where.state === 'running');
    channel.socket.ensureOpen().catch((err: unknown) => {
      // History polling still brings the end; only the live events are missing.
      this.logger.warn({ promptId, clientId: channel.clientId, err: String(err) }, 'comfyui: cannot listen under the prompt’s client id; following by polling');
    });
    return run.promise;
  }

  lookup(promptId: string): Promise<PromptStatus> {
    if (this.closed) return Promise.reject(backendUnavailable(`Driver for backend ${this.id} is closed`));
    return lookupPrompt(this.http, promptId, this.logger);
  }

  download(file: OutputFile): Promise<OutputDownload> {
    return this.http.view(file);
  }

  interrupt(promptId: string): Promise<void> {
    return this.http.interrupt(promptId);
  }

  /** Closes the sockets; runs still in progress reject BACKEND_UNAVAILABLE (their prompts keep running on the backend). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.own.close();
    this.http.close();
    for (const channel of this.adopted.values()) channel.close();
    this.adopted.clear();
    for (const run of [...this.runs.values()]) run.fail(backendUnavailable(`Driver for backend ${this.id} was closed during the run`));
  }

  private assertCanStart(promptId: string): void {
    if (this.closed) throw backendUnavailable(`Driver for backend ${this.id} is closed`);
    if (this.runs.has(promptId)) throw new AppError('CONFLICT', `Prompt ${promptId} is already running on backend ${this.id}`);
  }

  /** Our own channel, or one under another client id (null: the prompt has none; events then come as broadcasts, if at all). */
  private channelFor(clientId: string | null): ClientChannel {
    if (clientId === null || clientId === this.clientId) return this.own;
    let channel = this.adopted.get(clientId);
    if (!channel) {
      this.logger.info({ clientId }, 'comfyui: listening under another client id to follow its prompt');
      channel = new ClientChannel(this.url, clientId, this.timeouts, this.runs, this.logger);
      this.adopted.set(clientId, channel);
    }
    return channel;
  }

  /** A run whose events `channel` carries until it settles; an adopted channel closes with its last run. */
  private track(options: RunOptions, channel: ClientChannel, running = false): PromptRun {
    const run = new PromptRun(options, {
      http: this.http,
      clientId: channel.clientId,
      logger: this.logger,
      timeouts: this.timeouts,
      nodeUi: this.nodeUi,
      isSocketOpen: () => channel.isOpen,
      onPromptId: (previous, next) => {
        this.runs.delete(previous);
        channel.remove(previous);
        this.runs.set(next, run);
        channel.add(next);
      },
      onSettled: (settled) => {
        if (this.runs.get(settled.promptId) === settled) this.runs.delete(settled.promptId);
        channel.remove(settled.promptId);
        if (channel !== this.own && channel.size === 0 && this.adopted.get(channel.clientId) === channel) {
          channel.close();
          this.adopted.delete(channel.clientId);
        }
      },
    });
    this.runs.set(options.promptId, run);
    channel.add(options.promptId, running);
    return run;
  }
}

/** Creates a ComfyUI driver. It connects lazily, on the first run. */
export function createComfyUiDriver(options: ComfyUiDriverOptions): ComfyUiDriver {
  return new ComfyUiDriver(options);
}
