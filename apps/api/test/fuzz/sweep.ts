import { getAt, positions, renameKey, setAt, UNSTORABLE, type Path } from './body-mutations';
import { jsonInstance } from './json-instance';
import { documentedOperations, type FuzzContext, type FuzzRequest } from './requests';
import { Rng } from '@gantry/testing';

type Json = Record<string, any>;

/** One request of the sweep. */
export interface SweepCase {
  request: FuzzRequest;
  /**
   * A poisoned string value: the field a 422 must name (`workflow.3.inputs.text`). Undefined for a
   * poisoned key: a key of a free-form map must be refused too, but a key of a fixed-shape object
   * becomes an unknown key, which a strict object refuses and a lenient one drops (never stores).
   */
  field?: string;
}

/**
 * Unstorable text in every string and every key of every body an operation accepts, one position
 * per request, sent by a caller with the operation's scope: random mutation may miss the one field
 * whose check is missing, this does not. The bodies are the document's examples plus a schema
 * instance, so a new body field is swept without a change here.
 */
export function unstorableTextSweep(doc: Json, ctx: FuzzContext, seed: number): SweepCase[] {
  const rng = new Rng(seed);
  const cases: SweepCase[] = [];
  for (const op of documentedOperations(doc).filter((o) => o.bodySchema)) {
    const needed = (doc.paths[op.template][op.method.toLowerCase()]['x-scopes'] as string[])[0];
    // Each operation is sent by a key of exactly the scope it declares (no key has a scope of its own for `public`).
    const scope = needed === 'read' || needed === 'submit' || needed === 'tenant-admin' || needed === 'operator' ? needed : 'operator';
    const params: Record<string, string> = {};
    for (const p of op.pathParams) {
      const resource = op.template.replace(/^\/api\/v1\//, '').split('/')[0]!;
      params[p.name as string] = encodeURIComponent(ctx.pathValues[`${resource}:${p.name as string}`]?.[0] ?? String(jsonInstance(doc, p.schema as Json, rng)));
    }
    const path = op.template.replace(/\{([^}]+)\}/g, (_m, name: string) => params[name] ?? '');
    for (const seedBody of [...op.bodyExamples, jsonInstance(doc, op.bodySchema!, rng)]) {
      for (const [at, isKey] of positions(seedBody)) {
        const poison = UNSTORABLE[cases.length % UNSTORABLE.length]!;
        let body: unknown;
        let field: Path | undefined;
        if (isKey) {
          body = renameKey(seedBody, at, `${String(at[at.length - 1])}${poison}`);
        } else if (typeof getAt(seedBody, at) === 'string') {
          body = setAt(seedBody, at, `${getAt(seedBody, at) as string}${poison}`);
          field = at;
        } else {
          continue;
        }
        cases.push({
          ...(field ? { field: field.join('.') } : {}),
          request: {
            index: cases.length,
            operationId: op.operationId,
            kind: isKey ? 'sweep.unstorable-key' : 'sweep.unstorable-text',
            caller: scope,
            method: op.method,
            path,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.keys[scope]}` },
            body: Buffer.from(JSON.stringify(body)),
          },
        });
      }
    }
  }
  return cases;
}
