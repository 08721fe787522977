export * from './db-client.js';
export * from './tenants.js';
export * from './api-keys.js';
export * from './jobs.js';
export * from './job-transitions.js';
export * from './job-events.js';
export * from './artifacts.js';
export * from './backends.js';
