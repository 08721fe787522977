export * from './backend-config.js';
export * from './lease-script.js';
export * from './slot-leases.js';
export * from './eligibility.js';
export * from './job-need.js';
export * from './health/index.js';
export * from './registry/index.js';
export * from './placement.js';
