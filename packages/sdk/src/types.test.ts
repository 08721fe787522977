import * as domain from '@gantry/domain';
import type { z } from 'zod';
import {
  BATCH_MAX_JOBS,
  JOB_STATUSES,
  TERMINAL_STATUSES,
  type ApiKey,
  type BatchItemError,
  type BatchResult,
  type SubmitBatchInput,
  type ApiKeyScope,
  type Artifact,
  type CreateApiKeyInput,
  type Job,
  type JobEvent,
  type JobEventBody,
  type Model,
  type ModelKind,
  type SubmitJobInput,
  type WebhookDelivery,
  type Upload,
  type JobInput,
} from './types.js';

/**
 * The SDK declares the wire types itself (browser bundles must not pull @gantry/domain's Node-only
 * modules). These checks fail typechecking (`npm run typecheck`) or the test when the two drift.
 */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assignable<From, To> = [From] extends [To] ? true : false;
const check = <T extends true>(): T => true as T;

describe('SDK wire types', () => {
  it('match @gantry/domain', () => {
    check<Equals<Job['status'], domain.JobStatus>>();
    check<Assignable<domain.JobView, Job>>();
    // Same fields (`queue` is optional: only `GET /jobs/{id}` of a queued job carries it).
    check<Equals<keyof Job, keyof domain.JobView>>();
    check<Equals<keyof SubmitJobInput, keyof z.input<typeof domain.submitJobSchema>>>();
    check<Assignable<domain.ApiKeyView, ApiKey>>();
    check<Equals<keyof ApiKey, keyof domain.ApiKeyView>>();
    check<Assignable<domain.WebhookDeliveryView, WebhookDelivery>>();
    check<Equals<keyof WebhookDelivery, keyof domain.WebhookDeliveryView>>();
    check<Assignable<domain.UploadView, Upload>>();
    check<Equals<keyof Upload, keyof domain.UploadView>>();
    check<Assignable<domain.JobInputView, JobInput>>();
    check<Equals<keyof JobInput, keyof domain.JobInputView>>();
    check<Assignable<domain.ArtifactView, Artifact>>();
    check<Assignable<Artifact, domain.ArtifactView>>();
    check<Equals<keyof Artifact, keyof domain.ArtifactView>>();
    check<Assignable<domain.JobEventRecord, JobEvent>>();
    check<Assignable<domain.JobEventBody, JobEventBody>>();
    check<Equals<JobEventBody['type'], domain.JobEventType>>();
    check<Assignable<SubmitJobInput, z.input<typeof domain.submitJobSchema>>>();
    check<Assignable<z.output<typeof domain.submitJobSchema>, SubmitJobInput>>();
    check<Equals<ApiKeyScope, domain.ApiKeyScope>>();
    check<Equals<ModelKind, domain.ModelKind>>();
    check<Assignable<domain.ModelView, Model>>();
    check<Equals<keyof Model, keyof domain.ModelView>>();
    // The API also accepts the legacy `admin`; the SDK offers only the current names.
    check<Assignable<CreateApiKeyInput['scopes'][number], domain.CreateApiKeyInput['scopes'][number]>>();
    check<Assignable<domain.BatchResult, BatchResult>>();
    check<Equals<keyof BatchResult['items'][number], keyof domain.BatchJobResult>>();
    check<Assignable<domain.BatchItemError, BatchItemError>>();
    check<Equals<keyof BatchItemError, keyof domain.BatchItemError>>();
    check<Assignable<SubmitBatchInput, z.input<typeof domain.submitBatchSchema>>>();
    expect(BATCH_MAX_JOBS).toBe(domain.BATCH_MAX_JOBS);
    expect([...JOB_STATUSES]).toEqual([...domain.JOB_STATUSES]);
    expect([...TERMINAL_STATUSES]).toEqual([...domain.TERMINAL_STATUSES]);
  });
});
