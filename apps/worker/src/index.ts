export { startWorker, type RunningWorker, type WorkerOptions } from './worker.js';
export { loadWorkerEnv, workerEnvSchema, type WorkerEnv } from './env.js';
export { processRender } from './processors/render.processor.js';
