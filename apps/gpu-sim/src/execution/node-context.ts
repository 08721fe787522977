import type { FaultState } from '../faults.js';
import type { RgbImage } from '../image/png.js';
import type { SimDirs } from '../output/sim-dirs.js';
import type { ExtraData, Prompt } from '../prompt.js';
import type { GpuState } from './gpu-state.js';
import type { SimValue } from './values.js';

/** What a node implementation may use while it runs. */
export interface NodeContext {
  promptId: string;
  nodeId: string;
  prompt: Prompt;
  extraData: ExtraData;
  gpu: GpuState;
  faults: FaultState;
  dirs: SimDirs;
  /** Milliseconds per sampler step. */
  stepMs: number;
  /** Delay for moving a checkpoint onto the GPU when another one is loaded. */
  modelLoadMs: number;
  /** Sleeps; rejects with ShutdownError when the sim closes. */
  sleep(ms: number): Promise<void>;
  /** A monotonic clock in milliseconds (performance.now), for pacing against deadlines. */
  now(): number;
  /**
   * A ProgressBar tick: raises a pending interrupt first (as ComfyUI's hook does), then sends
   * `progress` and, when previews are on, a preview frame drawn by `preview`.
   */
  progress(value: number, max: number, preview?: () => RgbImage): void;
  /** Never returns normally: waits for an interrupt and raises it. */
  waitForInterrupt(): Promise<never>;
  /** Drops every WebSocket connection (fault injection). */
  dropSockets(): void;
}

/** A node's result: values for its output slots, plus a UI dict for output nodes. */
export interface NodeResult {
  outputs: SimValue[];
  ui?: Record<string, unknown>;
}

export type NodeImplementation = (inputs: Record<string, unknown>, ctx: NodeContext) => Promise<NodeResult>;
