import type { FaultState } from '../faults.js';
import type { NodeTypes } from '../nodes/node-types.js';
import type { SimDirs } from '../output/sim-dirs.js';
import type { WsHub } from '../ws/hub.js';
import type { OutputCache } from './cache.js';
import type { GpuState } from './gpu-state.js';
import type { InterruptFlag } from './interrupt.js';

/** Everything that outlives one prompt: the simulated GPU and the server around it. */
export interface ExecutorDeps {
  hub: WsHub;
  types: NodeTypes;
  cache: OutputCache;
  faults: FaultState;
  gpu: GpuState;
  interrupt: InterruptFlag;
  dirs: SimDirs;
  stepMs: number;
  modelLoadMs: number;
  previews: boolean;
  /** Aborted when the sim closes. */
  shutdown: AbortSignal;
  /** Told which node starts, so a reconnecting client can be told (`executing` without prompt_id). */
  onNodeStart(nodeId: string): void;
}
