import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { STORABLE_JSON } from './storable';
import { workflowSchema } from './workflow';

/** Checks whose function zod wraps (a superRefine's own function is not in its definition): named instead. */
const NAMED_CHECKS = new Map<unknown, string>([[STORABLE_JSON, 'STORABLE_JSON (storable.ts)']]);

/**
 * The schema as data: every zod definition reachable from `schema` (types, keys, limits, defaults,
 * catchall), each check with its kind, parameters and message, each refinement by its source text
 * (whitespace collapsed). `z.toJSONSchema` would lose the refinements, which are half of what the
 * checker mirrors. zod's own guard of a length check (`when`) is left out, so that a zod upgrade
 * alone does not move the pin.
 */
function schemaShape(schema: unknown): unknown {
  const seen = new Map<object, number>();
  const walk = (value: unknown, key?: string): unknown => {
    if (NAMED_CHECKS.has(value)) return NAMED_CHECKS.get(value);
    if (typeof value === 'function') return key === 'error' ? { message: (value as () => unknown)() } : `fn ${String(value).replace(/\s+/g, ' ')}`;
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => walk(item));
    const zod = (value as { _zod?: { def?: object } })._zod;
    const target = zod?.def ?? value;
    if (seen.has(target)) return `#ref ${seen.get(target)}`;
    seen.set(target, seen.size);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(target).sort()) if (k !== 'when') out[k] = walk((target as Record<string, unknown>)[k], k);
    return out;
  };
  return walk(schema);
}

const PIN = path.join(__dirname, 'workflow-schema.pin.json');

describe('isWorkflowAsParsed mirrors workflowSchema', () => {
  it('pins the schema it mirrors', () => {
    const shape = JSON.stringify(schemaShape(workflowSchema), null, 1);
    if (process.env.GANTRY_WRITE_PIN === '1') writeFileSync(PIN, `${shape}\n`);
    const pinned = readFileSync(PIN, 'utf8').trimEnd();
    // GANTRY_WRITE_PIN=1 rewrites the pin: only once isWorkflowAsParsed says yes exactly where the new schema accepts a workflow unchanged.
    if (shape !== pinned) throw new Error('workflowSchema changed: update isWorkflowAsParsed (packages/contract/src/workflow-check.ts) and this pin (packages/contract/src/workflow-schema.pin.json)');
  });
});
