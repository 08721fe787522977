export { trackHttpMetrics } from './http-metrics.js';
