import type { BackendDriver, OutputFile } from '@gantry/backends';
import { uuidv7 } from '@gantry/domain';
import type { NewArtifact } from '@gantry/db';
import { contentTypeFor, type ArtifactStore } from '@gantry/storage';

/**
 * Streams a run's output files from the backend into the artifact store (content-addressed, so
 * doing it twice stores nothing new; no file is held in memory whole, and one past `maxBytes` is
 * refused while it arrives) and returns the rows to record. The rows are written by the
 * `succeeded` transition itself, in one statement with the job's success: a job never has the
 * outputs of a half-recorded attempt. Temp files (previews) are not kept.
 */
export async function fetchOutputs(
  store: ArtifactStore,
  driver: BackendDriver,
  job: { id: string; tenantId: string },
  files: OutputFile[],
  maxBytes: number,
): Promise<NewArtifact[]> {
  const rows: NewArtifact[] = [];
  for (const file of files.filter((f) => f.type === 'output')) {
    const contentType = contentTypeFor(file.filename);
    const download = await driver.download(file);
    const stored = await store.put(download.stream, { maxBytes, contentType });
    rows.push({
      id: uuidv7(),
      jobId: job.id,
      tenantId: job.tenantId,
      nodeId: file.nodeId,
      filename: file.filename,
      contentType,
      bytes: stored.bytes,
      sha256: stored.sha256,
      storageKey: stored.key,
    });
  }
  return rows;
}
