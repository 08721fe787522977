import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { createTestDatabase, type TestDatabase } from '@gantry/testing';
import pg from 'pg';

import { datamodel, type DmmfDatamodel, type DmmfField } from './dmmf.js';
import { expectedSchema } from './expected.js';
import { findSchemaDrift } from './index.js';

const root = path.resolve(__dirname, '../../../..');
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

/** A deep copy of the generated datamodel, to edit as if schema.prisma had changed. */
const cloneDatamodel = (): DmmfDatamodel => structuredClone(datamodel);

describe('schema drift: the migrated database vs prisma/schema.prisma', () => {
  it('compares against a generated client that is current with schema.prisma', () => {
    // Otherwise a field added to the schema would go unnoticed until someone regenerates.
    const check = spawnSync(process.execPath, ['scripts/prisma-generate.mjs', '--check'], { cwd: root, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('finds no difference: every table, column type, nullability, default, index, FK and enum matches', async () => {
    expect(await findSchemaDrift(db.url)).toEqual([]);
  });

  it('really checks the types the schema uses (not a vacuous comparison)', () => {
    const tables = expectedSchema(datamodel).tables;
    expect(tables.get('jobs')?.columns.get('id')).toEqual({ type: 'uuid', nullable: false, hasDefault: false });
    expect(tables.get('jobs')?.columns.get('status')).toEqual({ type: 'JobStatus', nullable: false, hasDefault: true });
    expect(tables.get('jobs')?.columns.get('progress')?.type).toBe('double precision');
    expect(tables.get('jobs')?.columns.get('workflow')?.type).toBe('jsonb');
    expect(tables.get('jobs')?.columns.get('created_at')?.type).toBe('timestamp(3) with time zone');
    expect(tables.get('api_keys')?.columns.get('scopes')).toEqual({ type: 'text[]', nullable: true, hasDefault: false });
    expect(tables.get('jobs')?.indexes).toContainEqual({ name: 'jobs_tenant_id_id_idx', kind: 'index', columns: ['tenant_id', 'id DESC'] });
    expect(tables.get('api_keys')?.foreignKeys[0]).toMatchObject({ name: 'api_keys_tenant_id_fkey', onDelete: 'Cascade', onUpdate: 'Cascade' });
  });

  it('fails when schema.prisma gains a field, index or enum value without a migration', async () => {
    const changed = cloneDatamodel();
    const job = changed.models.find((m) => m.name === 'Job');
    const field: DmmfField = { name: 'queueName', dbName: 'queue_name', kind: 'scalar', type: 'String', isList: false, isRequired: false, hasDefaultValue: false };
    job?.fields.push(field);
    changed.indexes.push({ model: 'Job', type: 'normal', fields: [{ name: 'queueName' }] });
    changed.enums.find((e) => e.name === 'JobStatus')?.values.push({ name: 'paused', dbName: null });
    expect(await findSchemaDrift(db.url, changed)).toEqual([
      'enum JobStatus has (queued, dispatched, running, succeeded, failed, canceled), schema says (queued, dispatched, running, succeeded, failed, canceled, paused)',
      'table jobs: column queue_name (text) is missing',
      'table jobs index: missing index jobs_queue_name_idx (queue_name)',
    ]);
  });

  it('fails when the database was changed behind the schema', async () => {
    const other = await createTestDatabase();
    const client = new pg.Client({ connectionString: other.url });
    await client.connect();
    try {
      await client.query(`
        ALTER TABLE jobs ALTER COLUMN progress TYPE REAL, ALTER COLUMN backend_id SET NOT NULL, ADD COLUMN extra INTEGER;
        ALTER TABLE jobs ALTER COLUMN priority DROP DEFAULT;
        DROP INDEX jobs_status_id_idx;
        CREATE INDEX jobs_status_id_idx ON jobs (status DESC, id);
        ALTER TABLE api_keys DROP CONSTRAINT api_keys_tenant_id_fkey,
          ADD CONSTRAINT api_keys_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE RESTRICT ON UPDATE CASCADE;
        ALTER TABLE artifacts ALTER COLUMN created_at TYPE TIMESTAMPTZ(6);`);
      expect(await findSchemaDrift(other.url)).toEqual([
        'table api_keys foreign key: missing api_keys_tenant_id_fkey (tenant_id) -> tenants(id) ON DELETE Cascade ON UPDATE Cascade',
        'table api_keys foreign key: unexpected api_keys_tenant_id_fkey (tenant_id) -> tenants(id) ON DELETE Restrict ON UPDATE Cascade',
        'table jobs: column priority has no database default, schema says the opposite',
        'table jobs: column progress is real, schema says double precision',
        'table jobs: column backend_id is NOT NULL, schema says nullable',
        'table jobs: column extra is not in the schema',
        'table jobs index: missing index jobs_status_id_idx (status, id)',
        'table jobs index: unexpected index jobs_status_id_idx (status DESC, id)',
        'table artifacts: column created_at is timestamp(6) with time zone, schema says timestamp(3) with time zone',
      ]);
    } finally {
      await client.end();
      await other.drop();
    }
  });
});
