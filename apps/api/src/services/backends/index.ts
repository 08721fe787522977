export * from './backend-context.js';
export * from './backend-view.js';
export * from './load-backends.js';
export * from './create-backend.js';
export * from './set-draining.js';
export * from './delete-backend.js';
export * from './list-models.js';
