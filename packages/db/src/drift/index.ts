/**
 * Schema drift check: does the database the migrations built match what schema.prisma declares?
 * A model changed without a migration (or a migration that does not do what the schema says)
 * shows up here, in CI and in readiness checks alike.
 */
import pg from 'pg';

import { parseDatabaseUrl, quoteIdent } from '../connection.js';
import { actualSchema } from './actual.js';
import { compareSchemas } from './compare.js';
import { datamodel, type DmmfDatamodel } from './dmmf.js';
import { expectedSchema } from './expected.js';

export type { DmmfDatamodel } from './dmmf.js';

/**
 * Differences between the database at `databaseUrl` (in the URL's `schema`, default `public`) and
 * the datamodel (by default the generated client's). Empty when they agree. Read-only.
 */
export async function findSchemaDrift(databaseUrl: string, model: DmmfDatamodel = datamodel): Promise<string[]> {
  const { connectionString, schema = 'public' } = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString, application_name: 'gantry-drift-check' });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    return compareSchemas(expectedSchema(model), await actualSchema(client));
  } finally {
    await client.end();
  }
}
