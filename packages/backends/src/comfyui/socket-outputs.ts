import type { OutputFile } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import { isRecord, type ComfyMessage } from './messages.js';
import { filesFromOutputs } from './output-files.js';

/**
 * What one backend showed about its node classes: which produced no UI (seen running, an
 * `executing` message, without an `executed` for that node; or cached in a run whose `/history`
 * entry listed no UI for the node) and which did. A class seen with a UI even once is never taken
 * as UI-free.
 */
export class NodeUiMemory {
  private readonly withUi = new Set<string>();
  private readonly withoutUi = new Set<string>();

  learn(classType: string, hadUi: boolean): void {
    (hadUi ? this.withUi : this.withoutUi).add(classType);
  }

  /** Seen running without a UI, and never with one. */
  knownWithoutUi(classType: string): boolean {
    return this.withoutUi.has(classType) && !this.withUi.has(classType);
  }
}

/**
 * A run's outputs as its socket named them: the `executed` UI of each node, collected while the
 * socket carried the run from its `execution_start` without a drop. At the barrier,
 * {@link files} gives them when, by what the driver knows, they are all `/history/{id}` would list, so the run
 * can settle without that request; null sends the run to `/history` as before.
 *
 * `/history` lists the UI of every node of the prompt found in the backend's UI cache (ComfyUI
 * 2025-10). The socket names the same UI for every node that ran (`executed` after its
 * `executing`, when it has a UI) and for every cached output node (it re-sends its UI), but not
 * for a cached node that is not an output node: such a node is taken as UI-free only when its
 * class is known to have none on this backend (see {@link NodeUiMemory}: a worker that starts
 * beside a warm backend cache learns it from the first such run's `/history`). Anything else
 * (a dropped socket, no `execution_success` as on servers before 2024-07, a cached node of a
 * class not known yet, a node id not in the submitted workflow) answers null. The knowledge is per
 * class, learnt from what the backend did: a custom node that returns a UI for some inputs only,
 * cached from a run this driver never saw, may have its (earlier run's) files left out, as the
 * newest ComfyUI leaves them out of `/history` too.
 */
export class SocketOutputs {
  /** `execution_start` came on the socket and the socket has not dropped since. */
  private watching = false;
  private succeeded = false;
  /** A node sent `executed` more than once. */
  private repeated = false;
  private cached: readonly unknown[] = [];
  private readonly ran = new Set<string>();
  private readonly ui = new Map<string, unknown>();

  constructor(
    private readonly classOf: (nodeId: string) => string | undefined,
    private readonly memory: NodeUiMemory,
  ) {}

  /** Every message of the run, in order. */
  observe(message: ComfyMessage): void {
    const d = message.data;
    switch (message.type) {
      case 'execution_start':
        this.watching = true;
        return;
      case 'execution_cached':
        this.cached = Array.isArray(d.nodes) ? d.nodes : [];
        return;
      case 'executing':
        if (typeof d.node === 'string') this.ran.add(d.node);
        return;
      case 'executed':
        if (typeof d.node !== 'string') return;
        // A node that runs again (a loop reuses its id) names only that iteration's files here,
        // while `/history` accumulates them all: such a run settles from `/history`.
        if (this.ui.has(d.node)) this.repeated = true;
        this.ui.set(d.node, d.output);
        return;
      case 'execution_success':
        this.succeeded = true;
        return;
    }
  }

  /** The socket dropped: messages may have been lost, for good. */
  dropped(): void {
    this.watching = false;
  }

  /**
   * The run's `/history` entry was read after all: its `outputs` say which of the run's cached
   * nodes have a UI, for the next runs to settle without it.
   */
  learnFromHistory(entry: unknown): void {
    const outputs = isRecord(entry) && isRecord(entry.outputs) ? entry.outputs : null;
    if (!outputs) return;
    for (const node of this.cached) {
      if (typeof node !== 'string') continue;
      const classType = this.classOf(node);
      if (classType !== undefined) this.memory.learn(classType, node in outputs);
    }
  }

  /** At the barrier: the run's files, or null when only `/history` can tell. */
  files(logger: StructuredLogger): OutputFile[] | null {
    if (!this.watching || !this.succeeded || this.repeated) return null;
    for (const node of this.ran) {
      const classType = this.classOf(node);
      if (classType !== undefined) this.memory.learn(classType, this.ui.has(node));
    }
    for (const node of this.cached) {
      if (typeof node !== 'string') return null;
      if (this.ui.has(node)) continue;
      const classType = this.classOf(node);
      if (classType === undefined || !this.memory.knownWithoutUi(classType)) return null;
    }
    return filesFromOutputs(Object.fromEntries(this.ui), logger);
  }
}
