import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { operations, requestSchemas } from '@gantry/contract';
import { ERROR_CODES } from '@gantry/domain';
import { openApiDocument } from './document';
import { JsonSchemaChecker } from '../../test/openapi/json-schema-check';

const ROOT = path.resolve(__dirname, '../../../..');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Json = Record<string, any>;

/** Every `$ref` in the document, with where it is. */
function refsOf(node: unknown, at = '#', out: { ref: string; at: string }[] = []): { ref: string; at: string }[] {
  if (Array.isArray(node)) node.forEach((v, i) => refsOf(v, `${at}/${i}`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push({ ref: v, at });
      else refsOf(v, `${at}/${k}`, out);
    }
  }
  return out;
}

describe('the OpenAPI document', () => {
  const { document, json } = openApiDocument();
  const doc = document as Json;
  const checker = new JsonSchemaChecker(doc);

  it('is OpenAPI 3.1 with the parts a client needs', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Gantry API', version: expect.any(String) });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.ProblemCode.enum).toEqual(ERROR_CODES);
    for (const name of ['X-Request-Id', 'Location', 'Retry-After', 'ETag']) expect(doc.components.headers[name]).toBeDefined();
  });

  it('resolves every $ref', () => {
    const refs = refsOf(doc);
    expect(refs.length).toBeGreaterThan(50);
    const unresolved = refs.filter(({ ref }) => {
      let node: unknown = doc;
      for (const part of ref.slice(2).split('/')) node = (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      return !ref.startsWith('#/') || node === undefined;
    });
    expect(unresolved).toEqual([]);
  });

  it('gives every operation a unique operationId, a declared tag, its scope and matching path parameters', () => {
    const ids: string[] = [];
    const tags = new Set((doc.tags as { name: string }[]).map((t) => t.name));
    for (const [p, item] of Object.entries(doc.paths as Record<string, Json>)) {
      const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries(item)) {
        expect(METHODS).toContain(method);
        ids.push(op.operationId);
        expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
        for (const t of op.tags) expect(tags).toContain(t);
        const declared = (op.parameters ?? []).filter((x: Json) => x.in === 'path').map((x: Json) => x.name).sort();
        expect({ op: op.operationId, params: declared }).toEqual({ op: op.operationId, params: templated });
        expect(Array.isArray(op.security)).toBe(true);
        const scopes = op.security.flatMap((s: Json) => Object.values(s).flat());
        expect(op['x-scopes']).toEqual(scopes);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('documents every problem response as application/problem+json with its codes', () => {
    for (const item of Object.values(doc.paths as Record<string, Json>)) {
      for (const op of Object.values(item)) {
        for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
          const problem = response.content?.['application/problem+json'];
          const declared = operations.find((o) => o.operationId === op.operationId)!.responses;
          if (Number(status) >= 400 && !(Number(status) in declared)) expect(problem?.schema).toEqual({ $ref: '#/components/schemas/Problem' });
          for (const example of Object.values((problem?.examples ?? {}) as Record<string, Json>)) {
            const value = doc.components.examples[String(example.$ref).split('/').pop()!].value as Json;
            expect(value.status).toBe(Number(status));
            expect(checker.check({ $ref: '#/components/schemas/Problem' }, value)).toEqual([]);
          }
        }
      }
    }
  });

  it('has request examples that the API accepts (zod) and the document allows', () => {
    let checked = 0;
    for (const op of operations) {
      for (const [name, example] of Object.entries(op.body?.examples ?? {})) {
        const zodResult = requestSchemas[op.body!.schema].safeParse(example.value);
        expect({ op: op.operationId, example: name, ok: zodResult.success }).toEqual({ op: op.operationId, example: name, ok: true });
        expect(checker.check({ $ref: `#/components/schemas/${op.body!.schema}` }, example.value)).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it('refuses in the document what the API refuses', () => {
    const submit = { $ref: '#/components/schemas/SubmitJobRequest' };
    expect(checker.check(submit, { workflow: { '1': { class_type: 'X', inputs: {} } }, priority: 101 }).map((i) => i.path)).toContain('$.priority');
    expect(checker.check(submit, { workflow: {}, colour: 'red' }).map((i) => i.message)).toContain('unexpected property "colour"');
    const backend = { $ref: '#/components/schemas/CreateBackendRequest' };
    expect(checker.check(backend, { id: '-bad', url: 'http://x' }).map((i) => i.path)).toContain('$.id');
  });

  it('equals the committed docs/openapi.json (run `npm run openapi` after changing the API)', () => {
    const committed = readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8');
    expect(committed === json).toBe(true);
  });

  it('passes Redocly\'s recommended lint (structure included) without errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gantry-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, json);
      const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts/openapi-lint.mjs'), file, '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.stderr).toBe('');
      const result = JSON.parse(run.stdout) as { errors: Json[]; warnings: Json[] };
      if (result.warnings.length) console.warn(`openapi lint warnings:\n${result.warnings.map((w) => `  ${w.rule}: ${w.message} (${w.at})`).join('\n')}`);
      expect(result.errors).toEqual([]);
      // The one accepted warning: a WebSocket upgrade answers 101, never 2xx.
      expect(result.warnings.map((w) => `${w.rule} ${w.at}`)).toEqual(['operation-2xx-response #/paths/~1api~1v1~1stream/get/responses']);
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the lint on a structurally invalid document', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gantry-openapi-'));
    try {
      const broken = JSON.parse(json) as Json;
      delete broken.info;
      broken.paths['/api/v1/jobs'].get.parameters[0].in = 'body';
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(broken));
      const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts/openapi-lint.mjs'), file, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      const result = JSON.parse(run.stdout) as { errors: Json[] };
      expect(result.errors.length).toBeGreaterThanOrEqual(2);
      expect(run.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
