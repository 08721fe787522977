export * from './artifact-store.js';
export * from './local-store.js';
export * from './s3-store.js';
export * from './create-store.js';
export * from './content-type.js';
export * from './content-key.js';
export * from './content-disposition.js';
export * from './spool.js';
