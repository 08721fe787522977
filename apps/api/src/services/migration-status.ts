import { appliedMigrationNames, dbErrorReason, defaultMigrationsDir, isTransientDbError, readMigrationsFolder, type Db } from '@gantry/db';
import type { MigrationStatus } from '@gantry/domain';
import { withTimeout } from '@gantry/domain';

let folderNames: Promise<string[]> | null = null;

/** The migrations this build expects (read once: the folder ships with the build). */
function expectedMigrations(): Promise<string[]> {
  folderNames ??= readMigrationsFolder(defaultMigrationsDir()).then((f) => f.migrations.map((m) => m.name));
  folderNames.catch(() => {
    folderNames = null; // a missing folder is reported, and looked for again next time
  });
  return folderNames;
}

/**
 * Compares `_prisma_migrations` (finished, not rolled back) with the build's prisma/migrations:
 * `up` when every migration of the folder is applied. A database ahead of the build (a newer
 * migration applied by a newer release) is fine.
 */
export async function checkMigrations(db: Db, timeoutMs: number): Promise<MigrationStatus> {
  let expected: string[];
  try {
    expected = await expectedMigrations();
  } catch {
    return { status: 'down', pending: [], error: 'migrations folder not found' };
  }
  try {
    const applied = new Set(await withTimeout(appliedMigrationNames(db), timeoutMs));
    const pending = expected.filter((name) => !applied.has(name));
    return pending.length === 0 ? { status: 'up', pending } : { status: 'down', pending, error: 'migrations pending: run npm run db:migrate' };
  } catch (err) {
    const missingTable = (err as { meta?: { code?: string }; message?: string }).message?.includes('_prisma_migrations') ?? false;
    if (missingTable) return { status: 'down', pending: expected, error: 'no migration history: run npm run db:migrate' };
    // An unreachable database is the postgres check's news; say so rather than blame the history.
    const error = isTransientDbError(err) ? `database unavailable: ${dbErrorReason(err)}` : 'could not read the migration history';
    return { status: 'down', pending: expected, error };
  }
}
