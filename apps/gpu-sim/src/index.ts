/** @gantry/gpu-sim: a ComfyUI-compatible simulated GPU server for demos, tests and benchmarks. */
export { startGpuSim, type GpuSimHandle } from './server.js';
export { DEFAULT_MODELS, type GpuSimOptions } from './options.js';
export { faultConfigSchema, type FaultConfig } from './faults.js';
export type { ExecutionRecord } from './execution/execution-log.js';
export { optionsFromEnv, envSchema, type GpuSimEnv } from './env.js';
export { loadDefaultWorkflow, DEFAULT_WORKFLOW_PATH } from './workflow.js';
export { encodePng, PNG_SIGNATURE, type RgbImage, type PngOptions } from './image/png.js';
export { crc32 } from './image/crc32.js';
export { inspectPng, type PngInfo, type PngChunkInfo } from './image/png-inspect.js';
export { renderScene } from './image/render.js';
export { buildNodeTypes, SAMPLERS, SCHEDULERS, type NodeType, type NodeTypes } from './nodes/node-types.js';
export { validatePrompt, type PromptValidation } from './validation/validate-prompt.js';
