/**
 * What the database holds, as a {@link SchemaShape}, read from pg_catalog for the session's current
 * schema. Prisma's own `_prisma_migrations` table is left out: it is not part of the datamodel.
 */
import type { ClientBase } from 'pg';

import type { ColumnShape, ForeignKeyShape, IndexShape, SchemaShape, TableShape } from './shape.js';

const COLUMNS_SQL = `
  SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
         NOT a.attnotnull AS nullable, a.atthasdef AS has_default
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY c.relname, a.attnum`;

// indoption bit 0 is DESC; int2vector subscripts start at 0.
const INDEXES_SQL = `
  SELECT t.relname AS table, i.relname AS name, ix.indisprimary AS primary, ix.indisunique AS unique,
         ARRAY(SELECT a.attname || CASE WHEN ix.indoption[k.ord - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                 FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                ORDER BY k.ord) AS columns
    FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE n.nspname = current_schema()`;

const FOREIGN_KEYS_SQL = `
  SELECT t.relname AS table, co.conname AS name, r.relname AS referenced_table,
         ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
         ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS referenced_columns,
         co.confdeltype AS on_delete, co.confupdtype AS on_update
    FROM pg_constraint co JOIN pg_class t ON t.oid = co.conrelid JOIN pg_class r ON r.oid = co.confrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE co.contype = 'f' AND n.nspname = current_schema()`;

const ENUMS_SQL = `
  SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname = current_schema() GROUP BY t.typname`;

/** pg_constraint's one-letter referential actions, in Prisma's words. */
const ACTIONS: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };

/** Reads the current schema of the session's database. */
export async function actualSchema(client: ClientBase): Promise<SchemaShape> {
  // One after the other: a pg client runs one query at a time anyway (and warns about overlap).
  const columns = (await client.query(COLUMNS_SQL)).rows;
  const indexes = (await client.query(INDEXES_SQL)).rows;
  const foreignKeys = (await client.query(FOREIGN_KEYS_SQL)).rows;
  const enums = (await client.query(ENUMS_SQL)).rows;
  const tables = new Map<string, TableShape>();
  const tableOf = (name: string): TableShape => {
    let table = tables.get(name);
    if (!table) tables.set(name, (table = { columns: new Map(), indexes: [], foreignKeys: [] }));
    return table;
  };
  for (const r of columns) {
    // format_type() quotes mixed-case names ("JobStatus"); the expected side spells them bare.
    const column: ColumnShape = { type: String(r.type).replace(/"/g, ''), nullable: r.nullable, hasDefault: r.has_default };
    tableOf(r.table).columns.set(r.column, column);
  }
  for (const r of indexes) {
    const kind: IndexShape['kind'] = r.primary ? 'primary' : r.unique ? 'unique' : 'index';
    tableOf(r.table).indexes.push({ name: r.name, kind, columns: r.columns });
  }
  for (const r of foreignKeys) {
    const fk: ForeignKeyShape = {
      name: r.name,
      columns: r.columns,
      referencedTable: r.referenced_table,
      referencedColumns: r.referenced_columns,
      onDelete: ACTIONS[r.on_delete] ?? r.on_delete,
      onUpdate: ACTIONS[r.on_update] ?? r.on_update,
    };
    tableOf(r.table).foreignKeys.push(fk);
  }
  tables.delete('_prisma_migrations');
  return { tables, enums: new Map(enums.map((r) => [r.name as string, r.values as string[]])) };
}
