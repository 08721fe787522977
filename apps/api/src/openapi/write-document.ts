import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openApiDocument } from './document.js';

/** `npm run openapi`: writes the generated document to docs/openapi.json (committed, so API changes show in diffs). */
const COMMITTED_DOCUMENT = path.resolve(__dirname, '../../../../docs/openapi.json');

writeFileSync(COMMITTED_DOCUMENT, openApiDocument().json);
console.log(`wrote ${path.relative(process.cwd(), COMMITTED_DOCUMENT)}`);
