export * from './artifact-store.js';
export * from './local-store.js';
export * from './content-type.js';
export * from './content-key.js';
export * from './spool.js';
