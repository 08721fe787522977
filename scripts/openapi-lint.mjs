// Lints an OpenAPI document with Redocly's recommended ruleset (the `struct` rule included, which
// checks the document against the OpenAPI 3.1 structure). Usage:
//   node scripts/openapi-lint.mjs [docs/openapi.json] [--json]
// Exits 1 when there are errors; warnings are listed. `--json` prints {errors, warnings} for tests.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createConfig, lintFromString } from '@redocly/openapi-core';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const file = path.resolve(args.find((a) => !a.startsWith('--')) ?? 'docs/openapi.json');

const config = await createConfig({ extends: ['recommended'] });
const problems = await lintFromString({ source: await readFile(file, 'utf8'), absoluteRef: file, config });
const brief = (p) => ({
  rule: p.ruleId,
  severity: p.severity,
  message: p.message,
  at: p.location.map((l) => l.pointer).join(', '),
});
const errors = problems.filter((p) => p.severity === 'error').map(brief);
const warnings = problems.filter((p) => p.severity !== 'error').map(brief);

if (asJson) {
  process.stdout.write(`${JSON.stringify({ errors, warnings })}\n`);
} else {
  for (const p of [...errors, ...warnings]) console.log(`${p.severity.padEnd(7)} ${p.rule}: ${p.message} (${p.at})`);
  console.log(`${path.relative(process.cwd(), file)}: ${errors.length} error(s), ${warnings.length} warning(s)`);
}
process.exitCode = errors.length ? 1 : 0;
