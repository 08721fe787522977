import type { Db } from './db-client.js';

/** A queued job the priority aging sweep may promote. */
export interface AgingCandidate {
  id: string;
  priority: number;
  createdAt: Date;
}

/** Queued jobs created before `before` whose priority is below `maxPriority`, oldest id first, at most `limit`. */
export async function findAgingCandidates(db: Db, before: Date, maxPriority: number, limit: number): Promise<AgingCandidate[]> {
  return db.job.findMany({
    where: { status: 'queued', createdAt: { lt: before }, priority: { lt: maxPriority } },
    orderBy: { id: 'asc' },
    take: limit,
    select: { id: true, priority: true, createdAt: true },
  });
}
