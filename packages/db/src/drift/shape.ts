/**
 * A normalised description of a database schema, built twice: from the Prisma datamodel (what
 * schema.prisma declares) and from pg_catalog (what the migrations built), then compared.
 * Types are spelled the way PostgreSQL's `format_type()` spells them, without identifier quotes.
 */

/** One column. */
export interface ColumnShape {
  /** e.g. `uuid`, `timestamp(3) with time zone`, `text[]`, `JobStatus`. */
  type: string;
  nullable: boolean;
  /** Whether the database fills the column when an INSERT omits it. */
  hasDefault: boolean;
}

/** A primary key, unique index or plain index. */
export interface IndexShape {
  name: string;
  kind: 'primary' | 'unique' | 'index';
  /** Column names in index order, with ` DESC` appended for descending ones. */
  columns: string[];
}

/** A foreign key constraint. */
export interface ForeignKeyShape {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  /** Referential actions in Prisma's words: Cascade, Restrict, NoAction, SetNull, SetDefault. */
  onDelete: string;
  onUpdate: string;
}

/** One table. */
export interface TableShape {
  columns: Map<string, ColumnShape>;
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
}

/** The whole schema: tables and enum types (values in declaration order). */
export interface SchemaShape {
  tables: Map<string, TableShape>;
  enums: Map<string, string[]>;
}

/** One-line rendering of an index, for messages and set comparison. */
export function describeIndex(index: IndexShape): string {
  return `${index.kind} ${index.name} (${index.columns.join(', ')})`;
}

/** One-line rendering of a foreign key, for messages and set comparison. */
export function describeForeignKey(fk: ForeignKeyShape): string {
  return (
    `${fk.name} (${fk.columns.join(', ')}) -> ${fk.referencedTable}(${fk.referencedColumns.join(', ')}) ` +
    `ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`
  );
}
