import path from 'node:path';
import type { DocsAssetName } from '@gantry/domain';

/**
 * The documentation page at `/api/v1/docs`: Swagger UI from the installed swagger-ui-dist, served
 * by the API itself (no CDN: the machine and its users may be offline). Helmet's CSP allows no
 * inline script, so the page loads its init code from a file of its own.
 */
const DOCS_PATH = '/api/v1/docs';
const OPENAPI_PATH = '/api/v1/openapi.json';

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/**
 * The page's Content-Security-Policy: helmet's default without `upgrade-insecure-requests` (which
 * would send the page's own assets to https:// when the API is reached over plain HTTP by
 * address) and with `connect-src 'self'` for the document and "Try it out". Scripts: files from
 * this origin only.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "script-src-attr 'none'",
].join('; ');

/** The init script: renders the document; no validator badge (it would call an external host). */
const DOCS_INIT_SCRIPT = `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '${OPENAPI_PATH}',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gantry API</title>
<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/init.js"></script>
</body>
</html>
`;

/** Where each file under `/api/v1/docs/` comes from (the names: DOCS_ASSET_NAMES of the contract). */
export const DOCS_ASSETS = {
  'swagger-ui.css': { file: path.join(SWAGGER_UI_DIR, 'swagger-ui.css') },
  'swagger-ui-bundle.js': { file: path.join(SWAGGER_UI_DIR, 'swagger-ui-bundle.js') },
  'favicon-32x32.png': { file: path.join(SWAGGER_UI_DIR, 'favicon-32x32.png') },
  'favicon-16x16.png': { file: path.join(SWAGGER_UI_DIR, 'favicon-16x16.png') },
  'init.js': { source: DOCS_INIT_SCRIPT },
} as const satisfies Record<DocsAssetName, { file: string } | { source: string }>;
