/**
 * The subset of Prisma's DMMF datamodel the drift check reads, and the copy of it written by the
 * `dmmf` generator (packages/db/scripts/dmmf-generator.mjs) in the same `prisma generate` run as
 * the client, so it always describes the schema the generated client was built from.
 */
import generatedDatamodel from '../generated/datamodel.json';

/** A DMMF field (scalar, enum or relation). */
export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  /** `[name, args]`, e.g. `["Timestamptz", ["3"]]`, or null for the Prisma default type. */
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

/** A DMMF model. */
export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

/** A DMMF index: `id` (primary key), `unique`, `normal` or `fulltext`. */
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string;
  fields: Array<{ name: string; sortOrder?: 'asc' | 'desc' }>;
}

/** The DMMF datamodel. */
export interface DmmfDatamodel {
  models: DmmfModel[];
  enums: Array<{ name: string; dbName?: string | null; values: Array<{ name: string; dbName: string | null }> }>;
  indexes: DmmfIndex[];
}

/** The datamodel of the generated client. */
export const datamodel = generatedDatamodel as unknown as DmmfDatamodel;
