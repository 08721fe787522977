/** The web dashboard served by the API at /dashboard (docs/dashboard.md). */
export { dashboard, DASHBOARD_CSP, type DashboardHandler, type DashboardOptions } from './handler.js';
export { bundleAssets, readPrebuiltAssets, writeAssets, type Asset, type AssetSet } from './assets.js';
export { loadAssets } from './load-assets.js';
