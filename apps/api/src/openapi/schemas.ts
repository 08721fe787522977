import { z } from 'zod';
import { requestSchemas, responseSchemas, type RequestSchemaName, type ResponseSchemaName } from '@gantry/contract';

/** The contract's named schemas (and parameter schemas) as the JSON Schemas of the OpenAPI document. */
type JsonSchema = Record<string, unknown>;

const REF_PREFIX = '#/components/schemas/';

/** Drops what belongs to a standalone JSON Schema document, not to an embedded schema. */
function embedded(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** `format: date-time` says it all; zod's 400-character pattern for it only hides the schema. */
function dropDateTimePattern(ctx: { jsonSchema: JsonSchema }): void {
  if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
}

function convertRegistry(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: converted } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'throw',
    override: dropDateTimePattern,
    uri: (id) => `${REF_PREFIX}${id}`,
  });
  return Object.fromEntries(Object.entries(converted).map(([id, s]) => [id, embedded(s as JsonSchema)]));
}

/** `components.schemas`: requests and responses converted separately, merged (names never clash). */
export function componentSchemas(): Record<string, JsonSchema> {
  const requests = convertRegistry(requestSchemas, 'input');
  const responses = convertRegistry(responseSchemas, 'output');
  for (const name of Object.keys(requests)) {
    if (name in responses) throw new Error(`schema name ${name} is both a request and a response schema`);
  }
  return { ...requests, ...responses };
}

/** One standalone schema (a parameter's), inlined. */
export function inlineSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  return embedded(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw', override: dropDateTimePattern }) as JsonSchema);
}

export function schemaRef(name: RequestSchemaName | ResponseSchemaName): JsonSchema {
  return { $ref: `${REF_PREFIX}${name}` };
}
