/**
 * Reads a Prisma migrations folder the way the Prisma CLI does (`listMigrations` in Prisma's migrate
 * package): every sub-folder is a migration named after the folder, its script is `migration.sql`
 * read as UTF-8, folders are ordered by `localeCompare`, and `migration_lock.toml` names the provider.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { migrationChecksum } from './checksum.js';
import { MigrationError } from './errors.js';

/** One migration folder on disk. */
export interface MigrationFile {
  /** Folder name, `<timestamp>_<name>`; this is `_prisma_migrations.migration_name`. */
  name: string;
  /** Absolute path of its migration.sql. */
  scriptPath: string;
  /** The SQL, or undefined when migration.sql is missing or unreadable. */
  script: string | undefined;
  /** Prisma's checksum of the script (undefined without a script). */
  checksum: string | undefined;
}

/** The migrations folder: the lock file's provider and the migrations in apply order. */
export interface MigrationsFolder {
  dir: string;
  /** `provider` from migration_lock.toml, or undefined without a lock file. */
  provider: string | undefined;
  migrations: MigrationFile[];
}

/** Prisma's lock-file parsing: the first line starting with `provider`, minus `provider = ` and quotes. */
function providerFromLockFile(content: string): string {
  const line = content.split(/\r?\n/).find((l) => l.startsWith('provider'));
  if (!line) return '<PROVIDER NOT FOUND>';
  return line.replace(/^provider = /, '').replace(/^"+|"+$/g, '');
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw err;
  }
}

/**
 * Lists the migrations in `dir`. Unlike Prisma, a missing folder is an error rather than "no
 * migrations": silently applying nothing because of a wrong path would hide a broken deploy.
 */
export async function readMigrationsFolder(dir: string): Promise<MigrationsFolder> {
  const absolute = path.resolve(dir);
  let entries;
  try {
    entries = await readdir(absolute, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new MigrationError('MIGRATIONS_DIR_NOT_FOUND', `Migrations folder not found: ${absolute}`, { cause: err });
  }
  const lock = await readOptional(path.join(absolute, 'migration_lock.toml'));
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  names.sort((a, b) => a.localeCompare(b));
  const migrations = await Promise.all(
    names.map(async (name): Promise<MigrationFile> => {
      const scriptPath = path.join(absolute, name, 'migration.sql');
      const script = await readOptional(scriptPath);
      return { name, scriptPath, script, checksum: script === undefined ? undefined : migrationChecksum(script) };
    }),
  );
  return { dir: absolute, provider: lock === undefined ? undefined : providerFromLockFile(lock), migrations };
}

/** The repository's migrations folder (`prisma/migrations`), found from this file in src/ or dist/. */
export function defaultMigrationsDir(): string {
  return path.resolve(__dirname, '../../../../prisma/migrations');
}
