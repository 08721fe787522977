import type { BackendDriver, OutputFile } from '@gantry/backends';
import { uuidv7 } from '@gantry/domain';
import { deleteJobArtifacts, insertArtifact, type ArtifactRow, type Db } from '@gantry/db';
import { contentTypeFor, type ArtifactStore } from '@gantry/storage';

/**
 * Downloads a run's output files from the backend into the artifact store and records them.
 * Rows of an earlier, interrupted attempt are removed first, so a job ends with exactly the
 * outputs of the attempt that succeeded. Temp files (previews) are not kept.
 */
export async function storeOutputs(
  db: Db,
  store: ArtifactStore,
  driver: BackendDriver,
  job: { id: string; tenantId: string },
  files: OutputFile[],
): Promise<ArtifactRow[]> {
  await deleteJobArtifacts(db, job.id);
  const kept = files.filter((f) => f.type === 'output');
  const rows: ArtifactRow[] = [];
  for (const file of kept) {
    const downloaded = await driver.download(file);
    const stored = await store.put(downloaded.data);
    rows.push(
      await insertArtifact(db, {
        id: uuidv7(),
        jobId: job.id,
        tenantId: job.tenantId,
        nodeId: file.nodeId,
        filename: file.filename,
        contentType: contentTypeFor(file.filename),
        bytes: stored.bytes,
        sha256: stored.sha256,
        storageKey: stored.key,
      }),
    );
  }
  return rows;
}
