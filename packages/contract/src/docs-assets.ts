/** The files of the documentation page under `/api/v1/docs/`: an allowlist, not a directory listing. */
export const DOCS_ASSET_NAMES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png', 'init.js'] as const;
export type DocsAssetName = (typeof DOCS_ASSET_NAMES)[number];
