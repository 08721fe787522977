#!/usr/bin/env node
/**
 * A minimal Prisma generator (declared in prisma/schema.prisma) that writes the schema's DMMF
 * datamodel as JSON next to the generated client.
 *
 * Why: Prisma 7's generated client no longer ships `Prisma.dmmf`, and its runtime data model lacks
 * nullability, list-ness, native types and indexes. The schema drift check (packages/db/src/drift)
 * needs all of those, taken from the very same `prisma generate` run that produced the client.
 *
 * Protocol (what @prisma/generator-helper does, which is not installed here): Prisma writes one
 * JSON-RPC request per line to our stdin and reads the responses from our stderr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

const respond = (message) => process.stderr.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);

function generate(options) {
  const file = options.generator.output?.value;
  if (!file) throw new Error('the dmmf generator needs an `output` file path');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(options.dmmf.datamodel, null, 1)}\n`);
  return null;
}

createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  const request = JSON.parse(line);
  try {
    if (request.method === 'getManifest') {
      respond({ id: request.id, result: { manifest: { prettyName: 'DMMF datamodel (drift check)', requiresEngines: [] } } });
    } else if (request.method === 'generate') {
      respond({ id: request.id, result: generate(request.params) });
    }
  } catch (err) {
    respond({ id: request.id, error: { code: -32000, message: err.message, data: { stack: err.stack } } });
  }
});
