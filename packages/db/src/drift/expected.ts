/**
 * What schema.prisma declares, as a {@link SchemaShape}: the tables, columns, indexes and foreign
 * keys `prisma migrate` would create for the datamodel on PostgreSQL, with Prisma's type mapping
 * and constraint naming conventions.
 */
import type { DmmfDatamodel, DmmfField, DmmfModel } from './dmmf.js';
import type { ColumnShape, ForeignKeyShape, IndexShape, SchemaShape, TableShape } from './shape.js';

/** Prisma scalar type → PostgreSQL type when the field has no `@db.*` native type. */
const DEFAULT_TYPES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** `@db.*` native type → format_type() spelling; `%` is replaced by the arguments, if any. */
const NATIVE_TYPES: Record<string, string> = {
  Text: 'text', Uuid: 'uuid', Citext: 'citext', Inet: 'inet', Xml: 'xml',
  VarChar: 'character varying%', Char: 'character%', Bit: 'bit%', VarBit: 'bit varying%',
  SmallInt: 'smallint', Integer: 'integer', Oid: 'oid', BigInt: 'bigint',
  Real: 'real', DoublePrecision: 'double precision', Decimal: 'numeric%', Money: 'money',
  Timestamp: 'timestamp% without time zone', Timestamptz: 'timestamp% with time zone',
  Date: 'date', Time: 'time% without time zone', Timetz: 'time% with time zone',
  Json: 'json', JsonB: 'jsonb', ByteA: 'bytea', Boolean: 'boolean',
};

/** Defaults Prisma Client fills in itself; they leave no DEFAULT in the database. */
const CLIENT_SIDE_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

const columnName = (field: DmmfField): string => field.dbName ?? field.name;
const tableName = (model: DmmfModel): string => model.dbName ?? model.name;

function columnType(field: DmmfField, enumDbNames: Map<string, string>): string {
  let type: string | undefined;
  if (field.kind === 'enum') type = enumDbNames.get(field.type) ?? field.type;
  else if (field.nativeType) {
    const [name, args] = field.nativeType;
    const pattern = NATIVE_TYPES[name] ?? name.toLowerCase();
    type = pattern.replace('%', args.length ? `(${args.join(',')})` : '');
  } else type = DEFAULT_TYPES[field.type];
  if (!type) throw new Error(`drift check: no PostgreSQL type known for ${field.name}: ${field.type}`);
  return field.isList ? `${type}[]` : type;
}

function hasDatabaseDefault(field: DmmfField): boolean {
  if (!field.hasDefaultValue) return false;
  const fn = (field.default as { name?: string } | undefined)?.name;
  return !(fn && CLIENT_SIDE_DEFAULTS.has(fn));
}

/** Prisma's default constraint name: `<table>_<columns>_<suffix>`, cut to PostgreSQL's 63 bytes. */
export function defaultConstraintName(table: string, columns: string[], suffix: string): string {
  const base = columns.length ? `${table}_${columns.join('_')}` : table;
  return `${base.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

function modelTable(model: DmmfModel, dm: DmmfDatamodel, enumDbNames: Map<string, string>): TableShape {
  const table = tableName(model);
  const byName = new Map(model.fields.map((f) => [f.name, f]));
  const col = (name: string): string => columnName(byName.get(name) ?? ({ name } as DmmfField));
  const columns = new Map<string, ColumnShape>();
  for (const field of model.fields) {
    if (field.kind !== 'scalar' && field.kind !== 'enum') continue;
    // Prisma creates list columns without NOT NULL, whatever the field's arity.
    const nullable = field.isList || !field.isRequired;
    columns.set(columnName(field), { type: columnType(field, enumDbNames), nullable, hasDefault: hasDatabaseDefault(field) });
  }
  const indexes: IndexShape[] = dm.indexes
    .filter((i) => i.model === model.name && i.type !== 'fulltext')
    .map((i) => {
      const names = i.fields.map((f) => col(f.name));
      const [kind, suffix] = i.type === 'id' ? (['primary', 'pkey'] as const) : i.type === 'unique' ? (['unique', 'key'] as const) : (['index', 'idx'] as const);
      const name = i.dbName ?? defaultConstraintName(table, kind === 'primary' ? [] : names, suffix);
      return { name, kind, columns: i.fields.map((f, n) => `${names[n]}${f.sortOrder === 'desc' ? ' DESC' : ''}`) };
    });
  const foreignKeys: ForeignKeyShape[] = model.fields
    .filter((f) => f.kind === 'object' && f.relationFromFields?.length)
    .map((f) => {
      const target = dm.models.find((m) => m.name === f.type);
      if (!target) throw new Error(`drift check: relation ${model.name}.${f.name} targets unknown model ${f.type}`);
      const targetCols = new Map(target.fields.map((t) => [t.name, columnName(t)]));
      const columnsOf = (f.relationFromFields ?? []).map(col);
      return {
        name: defaultConstraintName(table, columnsOf, 'fkey'),
        columns: columnsOf,
        referencedTable: tableName(target),
        referencedColumns: (f.relationToFields ?? []).map((n) => targetCols.get(n) ?? n),
        onDelete: f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull'),
        onUpdate: f.relationOnUpdate ?? 'Cascade',
      };
    });
  return { columns, indexes, foreignKeys };
}

/** The schema `prisma migrate` would build for `dm`. */
export function expectedSchema(dm: DmmfDatamodel): SchemaShape {
  const enumDbNames = new Map(dm.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const enums = new Map(dm.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]));
  const tables = new Map(dm.models.map((m) => [tableName(m), modelTable(m, dm, enumDbNames)]));
  return { tables, enums };
}
