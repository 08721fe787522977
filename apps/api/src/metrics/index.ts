export { trackHttpMetrics, httpMetrics } from './http-metrics.js';
export { installApiMetrics } from './install.js';
