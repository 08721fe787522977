import type { StructuredLogger } from '../logger.js';
import type { BinaryFrame } from './binary-frames.js';
import { promptIdOf, type ComfyMessage } from './messages.js';
import type { ComfyUiTimeouts } from './options.js';
import type { PromptRun } from './prompt-run.js';
import { ComfySocket } from './socket.js';

/** Messages that old servers send without `prompt_id`; they belong to whatever of ours is executing. */
const ROUTED_WITHOUT_ID = new Set(['progress', 'executing', 'executed']);

/**
 * One WebSocket under one client id, and the runs whose events it carries. ComfyUI sends a
 * prompt's events only to the client id it was submitted with, so the driver's own channel
 * carries its runs, and following a prompt another driver submitted (a worker that died) takes a
 * channel under that driver's client id. Events are routed to member runs by `prompt_id`.
 */
export class ClientChannel {
  readonly socket: ComfySocket;
  /** Prompt ids of the runs this channel carries. */
  private readonly members = new Set<string>();
  /** Our prompt that is executing now (between its `execution_start` and its barrier). */
  private executing: string | null = null;

  constructor(
    baseUrl: string,
    readonly clientId: string,
    timeouts: ComfyUiTimeouts,
    private readonly runs: ReadonlyMap<string, PromptRun>,
    private readonly logger: StructuredLogger,
  ) {
    const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}`;
    this.socket = new ComfySocket(wsUrl, timeouts, {
      onMessage: (message) => this.route(message),
      onBinary: (frame) => this.routeBinary(frame),
      onOpen: (reconnected) => {
        if (!reconnected) return;
        this.logger.info({ clientId, runs: this.members.size }, 'comfyui: websocket reconnected; reconciling runs');
        for (const run of this.memberRuns()) run.socketReopened();
      },
      onDrop: () => {
        this.logger.warn({ clientId, runs: this.members.size }, 'comfyui: websocket dropped; reconnecting');
        this.executing = null;
        for (const run of this.memberRuns()) run.socketDropped();
      },
      // Whose message it was cannot be told: no run may trust its socket for its outputs any more.
      onUnreadable: () => {
        for (const run of this.memberRuns()) run.messageLost();
      },
    }, logger);
  }

  get isOpen(): boolean {
    return this.socket.isOpen;
  }

  get size(): number {
    return this.members.size;
  }

  /**
   * Carries `promptId`'s events from now on. `running`: it already executes, so the `executing`
   * message ComfyUI sends a reconnecting owner (without `prompt_id`) is about it.
   */
  add(promptId: string, running = false): void {
    this.members.add(promptId);
    if (running && this.executing === null) this.executing = promptId;
  }

  remove(promptId: string): void {
    this.members.delete(promptId);
    if (this.executing === promptId) this.executing = null;
  }

  close(): void {
    this.socket.close();
  }

  private memberRuns(): PromptRun[] {
    return [...this.members].flatMap((id) => this.runs.get(id) ?? []);
  }

  private route(message: ComfyMessage): void {
    const promptId = promptIdOf(message);
    if (message.type === 'execution_start' && promptId !== null && this.members.has(promptId)) this.executing = promptId;
    const target = promptId ?? (ROUTED_WITHOUT_ID.has(message.type) ? this.executing : null);
    if (target === null || !this.members.has(target)) return; // status, feature_flags, or another client's broadcast
    this.runs.get(target)?.handle(message);
    if (message.type === 'executing' && message.data.node === null && this.executing === target) this.executing = null;
  }

  private routeBinary(frame: BinaryFrame): void {
    if (frame.kind !== 'preview') return; // type 3 text and unknown types are not ours to act on
    const target = frame.promptId ?? this.executing;
    if (target !== null && this.members.has(target)) this.runs.get(target)?.preview(frame);
  }
}
