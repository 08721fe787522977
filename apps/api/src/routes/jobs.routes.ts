import { Router, type Request } from 'express';
import { JOB_EVENTS_PAGE_MAX, routePath } from '@gantry/contract/zod-free';
import {
  AppError,
  submitBatchEnvelopeSchema,
  type BatchResult,
  type JobEventPage,
  type JobPage,
  type JobView,
  type WebhookDeliveryList,
} from '@gantry/domain';
import { findTenantArtifact, listJobArtifacts, listJobEvents, listJobInputs, readTenantJobList, readTenantJobView, tenantHasJob } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { sendStoredObject } from '../http/send-stored-object.js';
import { bindOperation } from '../http/bind-operation.js';
import { sendJson } from '../http/send-json.js';
import { principalOf } from '../middleware/auth.js';
import { chargeBatchSubmits } from '../middleware/rate-limit.js';
import { logAt } from '../middleware/request-log.js';
import { cancelJob } from '../services/cancel-job.js';
import { estimateIfSeenQueued, explainWait, forgetQueued } from '../services/explain-wait.js';
import { jobView } from '../services/job-view.js';
import { redirectPresign, viewLinks, viewsPresign } from '../services/presign.js';
import { retryJob } from '../services/retry-job.js';
import { assertBatchSize, submitBatch } from '../services/submit-batch.js';
import { submitJob } from '../services/submit-job.js';
import { submitJobParser } from '../services/submit-job-parse.js';
import { listWebhookDeliveries } from '../services/webhook-deliveries.js';
import { decodeCursor, fetchLimit, pageOf } from './cursor.js';

const MOUNT = '/api/v1/jobs';

export function jobsRouter(deps: ApiDeps): Router {
  const router = Router();

  bindOperation(router, MOUNT, 'createJob', async (req, res, bound) => {
    const input = bound.body();
    const key = bound.header('Idempotency-Key');
    const { job, replayed, inputs } = await submitJob(deps, principalOf(req).tenantId, input, key);
    logAt(req, 'info')?.info({ jobId: job.id, replayed, reusedFrom: job.reusedFrom ?? undefined }, 'job submitted');
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    const artifacts = replayed || job.status === 'succeeded' ? await listJobArtifacts(deps.db, job.id) : [];
    res.status(202).location(routePath('getJob', { id: job.id })).json(jobView(job, artifacts, { inputs: inputs ?? (await listJobInputs(deps.db, job.id)), links: await viewLinks(deps, artifacts) }));
  }, { body: submitJobParser });

  bindOperation(router, MOUNT, 'createJobBatch', async (req, res, bound) => {
    const { jobs: items } = bound.body();
    assertBatchSize(items.length);
    const key = bound.header('Idempotency-Key');
    await chargeBatchSubmits(deps, req, res, items.length);
    const { jobs, replayed } = await submitBatch(deps, principalOf(req).tenantId, items, key);
    logAt(req, 'info')?.info({ jobs: jobs.length, firstJobId: jobs[0]?.id, replayed }, 'batch submitted');
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    const body: BatchResult = { items: jobs.map((j) => ({ id: j.id, status: j.status, reusedFrom: j.reusedFrom })) };
    res.status(202).json(body);
  }, { body: submitBatchEnvelopeSchema });

  bindOperation(router, MOUNT, 'listJobs', async (req, res, bound) => {
    const query = bound.query();
    const audience = viewerOf(req);
    const rows = await readTenantJobList(deps.db, {
      tenantId: principalOf(req).tenantId,
      status: query.status,
      limit: fetchLimit(query.limit),
      afterId: decodeCursor(query.cursor),
      operator: audience.operator,
      storageKeys: viewsPresign(deps),
    });
    const { page, nextCursor } = pageOf(rows, query.limit);
    const links = await viewLinks(deps, page.flatMap((j) => j.artifacts));
    const { operator } = audience;
    const body: JobPage = { items: page.map((j) => jobView(j, j.artifacts, { operator, inputs: j.inputs, links })), nextCursor };
    sendJson(res, body);
  });

  bindOperation(router, MOUNT, 'getJob', async (req, res, bound) => {
    const audience = viewerOf(req);
    const id = jobIdOf(bound);
    const { tenantId } = principalOf(req);
    // A job of this tenant last seen queued: its estimate's reads (its place in the queue, ...) go alongside its row, not after it.
    const early = estimateIfSeenQueued(deps, tenantId, id);
    // Its need came with it (seen queued): the workflow, not in the view, is not read again.
    const job = await readTenantJobView(deps.db, tenantId, id, { ...audience, storageKeys: viewsPresign(deps), workflow: !early });
    if (early && job?.status !== 'queued') forgetQueued(deps, tenantId, id);
    if (!job) throw new AppError('NOT_FOUND', 'No such job');
    const view = jobView(job, job.artifacts, { ...audience, inputs: job.inputs, links: await viewLinks(deps, job.artifacts) });
    const body: JobView = job.status === 'queued' ? { ...view, queue: await explainWait(deps, tenantId, job, early) } : view;
    sendJson(res, body);
  });

  bindOperation(router, MOUNT, 'cancelJob', async (req, res, bound) => {
    const job = await cancelJob(deps, principalOf(req).tenantId, jobIdOf(bound));
    logAt(req, 'info')?.info({ jobId: job.id, status: job.status }, 'cancel requested');
    const artifacts = await listJobArtifacts(deps.db, job.id);
    res.status(job.status === 'canceled' ? 200 : 202).json(jobView(job, artifacts, { links: await viewLinks(deps, artifacts) }));
  });

  bindOperation(router, MOUNT, 'retryJob', async (req, res, bound) => {
    const retryOf = jobIdOf(bound);
    const { job, replayed } = await retryJob(deps, principalOf(req).tenantId, retryOf, bound.header('Idempotency-Key'));
    logAt(req, 'info')?.info({ jobId: job.id, retryOf, replayed }, 'job retried');
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    const artifacts = replayed ? await listJobArtifacts(deps.db, job.id) : [];
    res.status(202).location(routePath('getJob', { id: job.id })).json(jobView(job, artifacts, { inputs: await listJobInputs(deps.db, job.id), links: await viewLinks(deps, artifacts) }));
  });

  bindOperation(router, MOUNT, 'listJobEvents', async (req, res, bound) => {
    const jobId = jobIdOf(bound);
    const { since } = bound.query();
    if (!(await tenantHasJob(deps.db, principalOf(req).tenantId, jobId))) throw new AppError('NOT_FOUND', 'No such job');
    const items = await listJobEvents(deps.db, jobId, since, JOB_EVENTS_PAGE_MAX);
    const body: JobEventPage = { items, lastSeq: items[items.length - 1]?.seq ?? since };
    res.json(body);
  });

  bindOperation(router, MOUNT, 'listJobWebhookDeliveries', async (req, res, bound) => {
    res.json({ items: await listWebhookDeliveries(deps, principalOf(req).tenantId, jobIdOf(bound)) } satisfies WebhookDeliveryList);
  });

  bindOperation(router, MOUNT, 'getJobArtifact', async (req, res, bound) => {
    const { id, artifactId } = bound.params();
    const artifact = await findTenantArtifact(deps.db, principalOf(req).tenantId, id.toLowerCase(), artifactId.toLowerCase());
    if (!artifact) throw new AppError('NOT_FOUND', 'No such artifact');
    await sendStoredObject(req, res, deps.store, artifact, { presign: redirectPresign(deps) });
  });

  return router;
}

/** The job id of the path (parsed by the binder: a malformed one is not found), in the form it is stored. */
function jobIdOf(bound: { params(): { id: string } }): string {
  return bound.params().id.toLowerCase();
}

/** Operator keys also see the backend detail held back from tenants (a job error's `internal`). */
function viewerOf(req: Request): { operator: boolean } {
  return { operator: principalOf(req).scopes.includes('operator') };
}
