import { isTerminalStatus, type Job, type JobEvent } from './types.js';

/**
 * The job as it stands after `record`: what a client following the stream knows without asking
 * the API again (status, attempt, backend, error, overall progress, outputs). Returns a new object.
 */
export function applyJobEvent(job: Job, record: JobEvent): Job {
  const e = record.event;
  switch (e.type) {
    case 'state': {
      const next: Job = { ...job, status: e.status, attempts: Math.max(job.attempts, e.attempt) };
      if (e.backend !== undefined) next.backend = e.backend;
      if (e.error !== undefined) next.error = e.error;
      if (e.reusedFrom !== undefined) next.reusedFrom = e.reusedFrom;
      if (e.status === 'queued') next.progress = 0;
      if (e.status === 'running' && next.startedAt === null) next.startedAt = record.at;
      if (isTerminalStatus(e.status)) {
        next.finishedAt = next.finishedAt ?? record.at;
        if (e.status === 'succeeded') next.progress = 1;
        delete next.queue;
      } else if (e.status !== 'queued') {
        delete next.queue;
      }
      return next;
    }
    case 'progress':
      return { ...job, progress: e.overall };
    case 'output': {
      if (job.artifacts.some((a) => a.id === e.artifactId)) return job;
      const url = `${job.links.self.replace(/\/+$/, '')}/artifacts/${e.artifactId}`;
      const artifact = { id: e.artifactId, filename: e.filename, contentType: e.contentType, bytes: e.bytes, nodeId: e.nodeId, url };
      return { ...job, artifacts: [...job.artifacts, artifact] };
    }
    default:
      return job;
  }
}
