import type { AppError, Workflow } from '@gantry/domain';
import type { RunOptions, RunResult } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import type { BinaryFrame } from './binary-frames.js';
import { DisconnectPoller } from './disconnect-poller.js';
import { toDriverEvent } from './driver-events.js';
import { backendError, backendUnavailable, canceled, executionFailure, interruptedElsewhere } from './errors.js';
import { runOutcomeFromHistory } from './history-outcome.js';
import { findPrompt, stopPrompt } from './prompt-lookup.js';
import type { ComfyHttpClient } from './http-client.js';
import type { ComfyMessage } from './messages.js';
import type { ComfyUiTimeouts } from './options.js';
import { RunSettlement } from './run-settlement.js';
import { SocketOutputs, type NodeUiMemory } from './socket-outputs.js';
import { submitPrompt } from './submit-prompt.js';

export interface PromptRunDeps {
  http: ComfyHttpClient;
  clientId: string;
  logger: StructuredLogger;
  timeouts: ComfyUiTimeouts;
  /** What this backend showed about its node classes (shared by its runs; see SocketOutputs). */
  nodeUi: NodeUiMemory;
  isSocketOpen(): boolean;
  /** The backend chose another prompt id (servers before 2025-07 ignore ours). */
  onPromptId(previous: string, next: string): void;
  onSettled(run: PromptRun): void;
}

/**
 * One prompt on one backend, from `POST /prompt` (or from attach(), for a prompt another driver
 * submitted) to its end. Completion is the `executing {node: null}` barrier for this prompt id,
 * after which outputs are those the socket's `executed` messages named when they are all
 * of them (see SocketOutputs), else read from `/history/{id}` (which also covers fully cached
 * runs). While the socket is down the run polls `/history` and `/queue`, since targeted events are
 * never replayed; a followed prompt is polled all along (see attach).
 */
export class PromptRun {
  promptId: string;
  private readonly settlement: RunSettlement;
  private accepted = false;
  private missedEvents = false;
  private readonly poller: DisconnectPoller;
  private nodeErrors: Record<string, unknown> | undefined;
  /** Terminal news seen on the socket before the barrier. */
  private failure: AppError | null = null;
  private interrupted = false;
  /** `started` was reported (from `execution_start`, or from a reconciliation that found it running). */
  private started = false;
  /** Following a prompt submitted elsewhere: poll until it ends, whatever the socket says. */
  private following = false;
  /** The outputs the socket names; null until submit() knows the workflow (and for a followed prompt). */
  private outputs: SocketOutputs | null = null;

  constructor(
    private readonly options: RunOptions,
    private readonly deps: PromptRunDeps,
  ) {
    this.promptId = options.promptId;
    this.settlement = new RunSettlement(options.signal, () => this.promptId, () => deps.onSettled(this), () => this.cancel());
    this.poller = new DisconnectPoller({
      settlement: this.settlement,
      intervalMs: deps.timeouts.pollIntervalMs,
      graceMs: deps.timeouts.disconnectGraceMs,
      caughtUp: () => !this.following && deps.isSocketOpen() && !this.missedEvents,
      ready: () => this.accepted,
      check: () => this.reconcile(),
    });
  }

  get promise(): Promise<RunResult> {
    return this.settlement.promise;
  }

  async submit(workflow: Workflow): Promise<void> {
    this.outputs = new SocketOutputs((node) => workflow[node]?.class_type, this.deps.nodeUi);
    const send = () => submitPrompt(this.deps.http, { workflow, clientId: this.deps.clientId, promptId: this.promptId, locate: () => this.locate() }, this.deps.logger);
    const outcome = await (this.options.submitting ? this.options.submitting(send) : send());
    if (outcome.kind === 'rejected') return this.settlement.fail(outcome.error);
    this.nodeErrors = outcome.nodeErrors;
    if (outcome.promptId !== this.promptId) {
      this.deps.onPromptId(this.promptId, outcome.promptId);
      this.promptId = outcome.promptId;
    }
    this.accepted = true;
    if (this.settlement.settled) return;
    if (this.settlement.aborted) return this.cancel();
    if (outcome.uncertain || this.missedEvents) void this.reconcileQuietly();
    if (!this.deps.isSocketOpen()) this.poller.start();
  }

  /**
   * Follows the prompt without submitting it (it is pending or `running` already). Its channel
   * may not be listening yet, and the prompt may have started, or even ended, before it was: so
   * history is checked at once and polled until the end, because the socket may never carry this
   * prompt's events (submitted without a client id, or its old client id taken back).
   */
  attach(running: boolean): void {
    this.accepted = true;
    this.following = true;
    if (this.settlement.aborted) return this.cancel();
    if (running) this.reportStarted();
    void this.reconcileQuietly();
    this.poller.start();
  }

  /** A message about this prompt. */
  handle(message: ComfyMessage): void {
    if (this.settlement.settled) return;
    this.outputs?.observe(message);
    const event = toDriverEvent(message, this.deps.logger);
    if (event?.type === 'started') return this.reportStarted();
    if (event) return this.settlement.emit(this.options.onEvent, event, this.deps.logger);
    if (message.type === 'execution_error') {
      // An ExecutionBlocker's message: no timestamp, not in history, and the run goes on (docs: comfyui-protocol).
      if (message.data.exception_type !== 'ExecutionBlocked') this.failure = executionFailure(message.data);
      else this.deps.logger.info({ promptId: this.promptId, node: message.data.node_id }, 'comfyui: a node was blocked; the run goes on');
    }
    else if (message.type === 'execution_interrupted') {
      this.interrupted = true;
      if (this.settlement.aborted) this.settlement.fail(canceled(this.promptId));
    } else if (message.type === 'executing' && message.data.node === null) void this.completed();
  }

  preview(frame: Extract<BinaryFrame, { kind: 'preview' }>): void {
    if (this.settlement.settled) return;
    this.settlement.emit(this.options.onEvent, { type: 'preview', node: frame.node, mime: frame.mime, data: frame.data }, this.deps.logger);
  }

  /** A message on the socket could not be read: it may have been this run's. Its outputs come from `/history`. */
  messageLost(): void {
    this.outputs?.dropped();
  }

  socketDropped(): void {
    if (this.settlement.settled) return;
    this.missedEvents = true;
    this.outputs?.dropped();
    this.poller.start();
  }

  socketReopened(): void {
    if (!this.settlement.settled && this.accepted) void this.reconcileQuietly();
  }

  fail(error: AppError): void {
    this.settlement.fail(error);
  }

  /** The barrier: the prompt is done and its history is written. */
  private async completed(): Promise<void> {
    if (this.failure) return this.settlement.fail(this.failure);
    if (this.interrupted) return this.settlement.fail(interruptedElsewhere(this.promptId));
    const files = this.following ? null : (this.outputs?.files(this.deps.logger) ?? null);
    if (files) return this.settle({ promptId: this.promptId, files });
    for (let attempt = 1; ; attempt += 1) {
      try {
        const entry = await this.deps.http.historyEntry(this.promptId);
        if (entry !== undefined) return this.settleFromHistory(entry);
        if (attempt >= 3) return this.settlement.fail(backendError(`Prompt ${this.promptId} finished but has no history entry`));
      } catch (err) {
        if (attempt >= 3) return this.settlement.fail(err as AppError);
      }
      await this.settlement.delay(100 * attempt);
    }
  }

  private settleFromHistory(entry: unknown): void {
    this.outputs?.learnFromHistory(entry);
    const outcome = runOutcomeFromHistory(entry, this.promptId, this.deps.logger);
    if (!outcome.ok) return this.settlement.fail(outcome.error);
    this.settle(outcome.result);
  }

  private settle(result: RunResult): void {
    this.settlement.succeed({ ...result, ...(this.nodeErrors ? { nodeErrors: this.nodeErrors } : {}) });
  }

  /** Once: the `execution_start` may have gone by unseen (socket down, or attached late). */
  private reportStarted(): void {
    if (this.started) return;
    this.started = true;
    this.settlement.emit(this.options.onEvent, { type: 'started' }, this.deps.logger);
  }

  /** After missed events: settle if it finished or was lost; keep waiting if still queued. Throws if unreachable. */
  private async reconcile(): Promise<void> {
    this.missedEvents = false;
    const where = await findPrompt(this.deps.http, this.promptId).catch((err: unknown) => {
      this.missedEvents = true; // still missed: the poller goes on (and counts the backend unreachable) even with the socket back
      throw err;
    });
    if (this.settlement.settled) return;
    if (where.kind === 'finished') this.settleFromHistory(where.entry);
    else if (where.kind === 'unknown') this.settlement.fail(backendUnavailable(`The backend no longer knows prompt ${this.promptId} (was it restarted?)`));
    else if (where.state === 'running') this.reportStarted();
  }

  private async reconcileQuietly(): Promise<void> {
    try {
      await this.reconcile();
    } catch (err) {
      this.deps.logger.warn({ promptId: this.promptId, err: String(err) }, 'comfyui: reconciliation failed; polling');
      this.missedEvents = true;
      this.poller.start();
    }
  }

  /** Is the prompt known to the backend at all? Unreachable counts as no. */
  private async locate(): Promise<boolean> {
    return findPrompt(this.deps.http, this.promptId).then((where) => where.kind !== 'unknown', () => false);
  }

  /** Abort: drop it from the queue if pending, interrupt it if running, and reject CANCELED on `execution_interrupted` or after `cancelGraceMs`. */
  private cancel(): void {
    if (!this.accepted) return; // submit() cancels once the backend has answered
    const { http, logger, timeouts } = this.deps;
    this.settlement.after(timeouts.cancelGraceMs, () => this.settlement.fail(canceled(this.promptId)));
    stopPrompt(http, this.promptId).then(
      (gone) => gone && this.settlement.fail(canceled(this.promptId)),
      (err: unknown) => {
        logger.warn({ promptId: this.promptId, err: String(err) }, 'comfyui: could not interrupt the prompt');
        this.settlement.fail(canceled(this.promptId));
      },
    );
  }
}
