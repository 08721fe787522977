import type { Artifact } from '../generated/client.js';
import type { Db } from './db-client.js';

export type ArtifactRow = Artifact;

export interface NewArtifact {
  id: string;
  jobId: string;
  tenantId: string;
  nodeId: string | null;
  filename: string;
  contentType: string;
  bytes: number;
  sha256: string;
  storageKey: string;
}

export async function insertArtifact(db: Db, artifact: NewArtifact): Promise<ArtifactRow> {
  return db.artifact.create({ data: artifact });
}

export async function listJobArtifacts(db: Db, jobId: string): Promise<ArtifactRow[]> {
  return db.artifact.findMany({ where: { jobId }, orderBy: { id: 'asc' } });
}

/** An artifact of one tenant's job; anything else is indistinguishable from missing. */
export async function findTenantArtifact(
  db: Db,
  tenantId: string,
  jobId: string,
  artifactId: string,
): Promise<ArtifactRow | null> {
  return db.artifact.findFirst({ where: { id: artifactId, jobId, tenantId } });
}
