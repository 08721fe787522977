import type { Upload } from '../generated/client.js';
import type { Db } from './db-client.js';

export type UploadRow = Upload;

export interface NewUpload {
  tenantId: string;
  sha256: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  storageKey: string;
}

interface RawUpload {
  id: string;
  tenant_id: string;
  sha256: string;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
  storage_key: string;
  created_at: Date;
  last_used_at: Date;
  inserted: boolean;
}

/**
 * Records an upload; the same bytes again (same tenant, same sha256) are the same row, whose
 * `last_used_at` is refreshed. `created` says which happened. One statement, safe under concurrency.
 */
export async function upsertUpload(db: Db, id: string, upload: NewUpload): Promise<{ row: UploadRow; created: boolean }> {
  const rows = await db.$queryRaw<RawUpload[]>`
    INSERT INTO uploads (id, tenant_id, sha256, content_type, bytes, width, height, storage_key)
    VALUES (${id}::uuid, ${upload.tenantId}::uuid, ${upload.sha256}, ${upload.contentType}, ${upload.bytes}, ${upload.width}, ${upload.height}, ${upload.storageKey})
    ON CONFLICT (tenant_id, sha256) DO UPDATE SET last_used_at = now()
    RETURNING id::text, tenant_id::text, sha256, content_type, bytes, width, height, storage_key, created_at, last_used_at, (xmax = 0) AS inserted`;
  const r = rows[0]!;
  return {
    created: r.inserted,
    row: {
      id: r.id, tenantId: r.tenant_id, sha256: r.sha256, contentType: r.content_type, bytes: r.bytes, width: r.width,
      height: r.height, storageKey: r.storage_key, createdAt: r.created_at, lastUsedAt: r.last_used_at,
    },
  };
}

/** An upload of one tenant; another tenant's is indistinguishable from a missing one. */
export async function findTenantUpload(db: Db, tenantId: string, id: string): Promise<UploadRow | null> {
  return db.upload.findFirst({ where: { id, tenantId } });
}

/** Uploads of one tenant by id (a job's inputs), marking them used now. Missing or foreign ids are absent. */
export async function useTenantUploads(db: Db, tenantId: string, ids: string[]): Promise<Map<string, UploadRow>> {
  if (ids.length === 0) return new Map();
  await db.upload.updateMany({ where: { tenantId, id: { in: ids } }, data: { lastUsedAt: new Date() } });
  const rows = await db.upload.findMany({ where: { tenantId, id: { in: ids } } });
  return new Map(rows.map((r) => [r.id, r]));
}

/** Job states in which an input's blob must stay: the job may still run. */
const ACTIVE = `('queued', 'dispatched', 'running')`;

export type DeleteUploadOutcome = { kind: 'deleted'; blobReleased: boolean } | { kind: 'missing' } | { kind: 'in-use'; jobs: string[] };

/**
 * Deletes a tenant's upload unless a queued or running job uses it (`in-use`, with up to 10 of
 * those jobs). The row is locked first, so a submit binding it waits (and then finds it gone) or
 * wins (and the delete sees its job). When no other row (upload of any tenant, artifact, input of
 * an unfinished job) references the blob, `releaseBlob` deletes it before the row goes; should
 * the process die in between, the row is still there and a new DELETE finishes the work.
 */
export async function deleteTenantUpload(
  db: Db,
  tenantId: string,
  id: string,
  releaseBlob: (storageKey: string) => Promise<boolean>,
): Promise<DeleteUploadOutcome> {
  return db.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<{ storage_key: string }[]>`
        SELECT storage_key FROM uploads WHERE id = ${id}::uuid AND tenant_id = ${tenantId}::uuid FOR UPDATE`;
      const row = locked[0];
      if (!row) return { kind: 'missing' as const };
      const users = await tx.$queryRawUnsafe<{ job_id: string }[]>(
        `SELECT i.job_id::text FROM job_inputs i JOIN jobs j ON j.id = i.job_id WHERE i.upload_id = $1::uuid AND j.status IN ${ACTIVE} LIMIT 10`,
        id,
      );
      if (users.length > 0) return { kind: 'in-use' as const, jobs: users.map((u) => u.job_id) };
      const shared = await blobStillReferenced(tx as unknown as Db, row.storage_key, id);
      const blobReleased = shared ? false : await releaseBlob(row.storage_key);
      await tx.$executeRaw`DELETE FROM uploads WHERE id = ${id}::uuid`;
      return { kind: 'deleted' as const, blobReleased };
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}

/** Whether a blob is referenced by another upload, an artifact, or an input of an unfinished job. */
export async function blobStillReferenced(db: Db, storageKey: string, exceptUploadId: string | null): Promise<boolean> {
  const rows = await db.$queryRawUnsafe<{ used: boolean }[]>(
    `SELECT EXISTS (SELECT 1 FROM uploads WHERE storage_key = $1 AND ($2::uuid IS NULL OR id <> $2::uuid))
         OR EXISTS (SELECT 1 FROM artifacts WHERE storage_key = $1)
         OR EXISTS (SELECT 1 FROM job_inputs i JOIN jobs j ON j.id = i.job_id WHERE i.storage_key = $1 AND j.status IN ${ACTIVE}) AS used`,
    storageKey,
    exceptUploadId,
  );
  return rows[0]!.used;
}

/** The inputs of a job, in name order. */
export async function listJobInputs(db: Db, jobId: string) {
  return db.jobInput.findMany({ where: { jobId }, orderBy: { name: 'asc' } });
}

export type JobInputRow = Awaited<ReturnType<typeof listJobInputs>>[number];
