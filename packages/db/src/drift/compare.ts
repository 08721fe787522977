/** The differences between two {@link SchemaShape}s, as sentences an engineer can act on. */
import { describeForeignKey, describeIndex, type SchemaShape, type TableShape } from './shape.js';

function compareSets(what: string, expected: string[], actual: string[], out: string[]): void {
  const have = new Set(actual);
  const want = new Set(expected);
  for (const e of expected) if (!have.has(e)) out.push(`${what}: missing ${e}`);
  for (const a of actual) if (!want.has(a)) out.push(`${what}: unexpected ${a}`);
}

function compareTable(name: string, expected: TableShape, actual: TableShape, out: string[]): void {
  for (const [column, want] of expected.columns) {
    const have = actual.columns.get(column);
    if (!have) {
      out.push(`table ${name}: column ${column} (${want.type}) is missing`);
      continue;
    }
    if (have.type !== want.type) out.push(`table ${name}: column ${column} is ${have.type}, schema says ${want.type}`);
    if (have.nullable !== want.nullable) {
      out.push(`table ${name}: column ${column} is ${have.nullable ? 'nullable' : 'NOT NULL'}, schema says ${want.nullable ? 'nullable' : 'NOT NULL'}`);
    }
    if (have.hasDefault !== want.hasDefault) {
      out.push(`table ${name}: column ${column} ${have.hasDefault ? 'has a' : 'has no'} database default, schema says the opposite`);
    }
  }
  for (const column of actual.columns.keys()) {
    if (!expected.columns.has(column)) out.push(`table ${name}: column ${column} is not in the schema`);
  }
  compareSets(`table ${name} index`, expected.indexes.map(describeIndex), actual.indexes.map(describeIndex), out);
  compareSets(`table ${name} foreign key`, expected.foreignKeys.map(describeForeignKey), actual.foreignKeys.map(describeForeignKey), out);
}

/** Every difference between what the schema declares and what the database has; empty if none. */
export function compareSchemas(expected: SchemaShape, actual: SchemaShape): string[] {
  const out: string[] = [];
  for (const [name, values] of expected.enums) {
    const have = actual.enums.get(name);
    if (!have) out.push(`enum ${name} is missing`);
    else if (have.join(',') !== values.join(',')) out.push(`enum ${name} has (${have.join(', ')}), schema says (${values.join(', ')})`);
  }
  for (const name of actual.enums.keys()) if (!expected.enums.has(name)) out.push(`enum ${name} is not in the schema`);
  for (const [name, table] of expected.tables) {
    const have = actual.tables.get(name);
    if (have) compareTable(name, table, have, out);
    else out.push(`table ${name} is missing`);
  }
  for (const name of actual.tables.keys()) if (!expected.tables.has(name)) out.push(`table ${name} is not in the schema`);
  return out;
}
