export * from './job-change.js';
export * from './job-door.js';
