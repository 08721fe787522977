export * from './backend-record.js';
export * from './registry-diff.js';
export * from './fleet-registry.js';
