export { startWorker, type RunningWorker } from './worker.js';
export { loadWorkerEnv, workerEnvSchema, type WorkerEnv } from './env.js';
export { processRender } from './processors/render.processor.js';
