import { createLogger, runMain, stopOnSignals } from '@gantry/logger';
import { buildApiDeps } from './bootstrap.js';
import { loadApiEnv } from './env.js';
import { listenApi } from './server.js';
import { readVersion } from './version.js';

/** Composition root of the API process. */
runMain(async () => {
  const env = loadApiEnv();
  const logger = createLogger({ name: 'api', level: env.LOG_LEVEL, logPrompts: env.GANTRY_LOG_PROMPTS });
  const resources = await buildApiDeps(env, readVersion(), logger);
  const api = await listenApi(resources, env.PORT, env.HOST);
  logger.info({ url: api.url }, 'api listening');
  stopOnSignals(logger, 'api', async () => {
    await api.close(10_000);
    await resources.dispose();
  });
});
