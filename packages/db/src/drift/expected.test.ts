import type { DmmfDatamodel, DmmfField } from './dmmf.js';
import { defaultConstraintName, expectedSchema } from './expected.js';

const field = (name: string, type: string, extra: Partial<DmmfField> = {}): DmmfField => ({
  name,
  kind: 'scalar',
  type,
  isList: false,
  isRequired: true,
  hasDefaultValue: false,
  ...extra,
});

const model: DmmfDatamodel = {
  enums: [{ name: 'Color', dbName: 'colour', values: [{ name: 'red', dbName: null }, { name: 'Blue', dbName: 'blue' }] }],
  models: [
    {
      name: 'Thing',
      dbName: null,
      fields: [
        field('id', 'String', { hasDefaultValue: true, default: { name: 'cuid', args: [] } }),
        field('code', 'String', { nativeType: ['VarChar', ['32']] }),
        field('price', 'Decimal', { isRequired: false }),
        field('at', 'DateTime', { hasDefaultValue: true, default: { name: 'now', args: [] } }),
        field('day', 'DateTime', { nativeType: ['Date', []] }),
        field('ints', 'Int', { isList: true }),
        field('colour', 'Color', { kind: 'enum', hasDefaultValue: true, default: 'red' }),
        field('ownerId', 'Int', { isRequired: false }),
        field('owner', 'Owner', { kind: 'object', isRequired: false, relationFromFields: ['ownerId'], relationToFields: ['id'] }),
      ],
    },
    { name: 'Owner', dbName: 'owners', fields: [field('id', 'Int', { hasDefaultValue: true, default: { name: 'autoincrement', args: [] } })] },
  ],
  indexes: [
    { model: 'Thing', type: 'id', fields: [{ name: 'id' }] },
    { model: 'Thing', type: 'unique', dbName: 'thing_code_uq', fields: [{ name: 'code' }] },
    { model: 'Thing', type: 'normal', fields: [{ name: 'ownerId' }, { name: 'at', sortOrder: 'desc' }] },
  ],
};

describe('expectedSchema', () => {
  const schema = expectedSchema(model);
  const thing = schema.tables.get('Thing');

  it("maps Prisma types to PostgreSQL's the way prisma migrate does", () => {
    expect(Object.fromEntries(thing?.columns ?? [])).toEqual({
      id: { type: 'text', nullable: false, hasDefault: false }, // cuid() is filled in by the client
      code: { type: 'character varying(32)', nullable: false, hasDefault: false },
      price: { type: 'numeric(65,30)', nullable: true, hasDefault: false },
      at: { type: 'timestamp(3) without time zone', nullable: false, hasDefault: true },
      day: { type: 'date', nullable: false, hasDefault: false },
      ints: { type: 'integer[]', nullable: true, hasDefault: false }, // lists are never NOT NULL
      colour: { type: 'colour', nullable: false, hasDefault: true },
      ownerId: { type: 'integer', nullable: true, hasDefault: false },
    });
    expect(schema.tables.get('owners')?.columns.get('id')).toEqual({ type: 'integer', nullable: false, hasDefault: true });
    expect(schema.enums.get('colour')).toEqual(['red', 'blue']);
  });

  it("names indexes and foreign keys with Prisma's conventions unless mapped", () => {
    expect(thing?.indexes).toEqual([
      { name: 'Thing_pkey', kind: 'primary', columns: ['id'] },
      { name: 'thing_code_uq', kind: 'unique', columns: ['code'] },
      { name: 'Thing_ownerId_at_idx', kind: 'index', columns: ['ownerId', 'at DESC'] },
    ]);
    expect(thing?.foreignKeys).toEqual([
      { name: 'Thing_ownerId_fkey', columns: ['ownerId'], referencedTable: 'owners', referencedColumns: ['id'], onDelete: 'SetNull', onUpdate: 'Cascade' },
    ]);
  });
});

it('defaultConstraintName keeps names within 63 bytes', () => {
  expect(defaultConstraintName('jobs', ['tenant_id', 'idempotency_key'], 'key')).toBe('jobs_tenant_id_idempotency_key_key');
  const long = defaultConstraintName('t'.repeat(40), ['c'.repeat(40)], 'idx');
  expect(long).toHaveLength(63);
  expect(long.endsWith('_idx')).toBe(true);
});
