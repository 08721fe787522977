/**
 * Prisma 7 CLI configuration (read by `prisma generate` and, where Prisma's engines exist,
 * `prisma migrate deploy`). Prisma 7 does not load `.env` files itself and the schema's datasource
 * has no `url` any more, so the connection string comes from here.
 *
 * This is the one non-app file allowed to read process.env: the CLI has no other way to be told.
 */
import { defineConfig } from 'prisma/config';

/** Local development default: PostgreSQL on this machine, trust auth. */
const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/gantry';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Not `env('DATABASE_URL')`: that throws when unset, and `prisma generate` needs no database.
  datasource: { url: process.env.DATABASE_URL || DEFAULT_DATABASE_URL },
});
