import type { OutputCache } from './execution/cache.js';
import type { ExecutionLog } from './execution/execution-log.js';
import type { GpuState } from './execution/gpu-state.js';
import type { PromptWorker } from './execution/prompt-worker.js';
import type { FaultState } from './faults.js';
import type { ModelFiles } from './models/model-files.js';
import type { NodeTypes } from './nodes/node-types.js';
import type { SimDirs } from './output/sim-dirs.js';
import type { HistoryStore } from './queue/history-store.js';
import type { PromptQueue } from './queue/prompt-queue.js';
import type { WsHub } from './ws/hub.js';

/** The state of one sim instance, as the HTTP routes see it. */
export interface SimContext {
  name: string;
  /** Checkpoints (`modelFiles.checkpoint`). */
  models: readonly string[];
  modelFiles: ModelFiles;
  types: NodeTypes;
  queue: PromptQueue;
  history: HistoryStore;
  worker: PromptWorker;
  hub: WsHub;
  cache: OutputCache;
  gpu: GpuState;
  faults: FaultState;
  /** Successful executions, for `GET /gpu-sim/executions`. */
  executions: ExecutionLog;
  dirs: SimDirs;
  /** What `GET /features` and the WebSocket feature negotiation answer. */
  features: Record<string, unknown>;
  /** ComfyUI's `self.number`: the next priority for prompts submitted without `number`. */
  counter: { number: number };
  /** Every `/upload/image` and `/upload/mask` answered, for tests (`GpuSimHandle.uploads`). */
  uploads: UploadRecord[];
}

/** One file upload the sim took (`duplicate`: equal bytes were there already and were reused). */
export interface UploadRecord {
  name: string;
  subfolder: string;
  type: string;
  bytes: number;
  sha256: string;
  duplicate: boolean;
}
