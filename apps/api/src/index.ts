export { createApp } from './app.js';
export { listenApi, type RunningApi } from './server.js';
export { buildApiDeps, type ApiResources } from './bootstrap.js';
export { loadApiEnv, apiEnvSchema, type ApiEnv } from './env.js';
export type { ApiDeps } from './context.js';
export { generateApiKey } from './auth/api-key-format.js';
