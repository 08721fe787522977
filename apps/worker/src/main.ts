import { createLogger, runMain, stopOnSignals } from '@gantry/logger';
import { loadWorkerEnv } from './env.js';
import { startWorker } from './worker.js';

/** Composition root of a worker process (typically one per GPU node). */
runMain(async () => {
  const env = loadWorkerEnv();
  const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL, logPrompts: env.GANTRY_LOG_PROMPTS });
  const worker = await startWorker(env, logger);
  stopOnSignals(logger, 'worker', () => worker.close());
});
