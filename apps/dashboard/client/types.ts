/**
 * The API's shapes as the dashboard uses them (docs/api.md, docs/websocket.md). Declared here,
 * not imported from @gantry/domain, so the browser bundle carries no zod.
 */
export const JOB_STATUSES = ['queued', 'dispatched', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];
export const isTerminal = (s: JobStatus): boolean => TERMINAL.includes(s);

export interface Artifact {
  id: string;
  filename: string;
  contentType: string;
  bytes: number;
  nodeId: string | null;
  url: string;
}

export interface JobError {
  code: string;
  message: string;
  details?: unknown;
}

export interface Job {
  id: string;
  kind: 'workflow' | 'txt2img';
  status: JobStatus;
  priority: number;
  progress: number;
  attempts: number;
  backend: string | null;
  requirements: unknown;
  metadata: Record<string, unknown> | null;
  timeoutSeconds: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: JobError | null;
  artifacts: Artifact[];
  queue?: { position: number | null; eligibleBackends?: number; estimatedStartAt?: string | null } | null;
}

export interface JobPage {
  items: Job[];
  nextCursor: string | null;
}

export type JobEventBody =
  | { type: 'state'; status: JobStatus; attempt: number; backend?: string | null; error?: JobError }
  | { type: 'progress'; node: string | null; value: number; max: number; overall: number }
  | { type: 'output'; artifactId: string; nodeId: string | null; filename: string; contentType: string; bytes: number };

export interface JobEventRecord {
  jobId: string;
  seq: number;
  at: string;
  event: JobEventBody;
}

export interface Backend {
  id: string;
  kind: string;
  url: string;
  capacity: number;
  tags: string[];
  state: string;
  breaker: string;
  inFlight: number;
  draining: boolean;
  lastError: string | null;
  probe?: { deviceName?: string | null; vram?: { totalMb: number | null; freeMb: number | null } | null } | null;
}

export interface Health {
  status: string;
  version?: string;
  checks?: Record<string, { status: string; latencyMs?: number }>;
}

/** Body of POST /api/v1/jobs. */
export interface SubmitBody {
  workflow?: Record<string, unknown>;
  txt2img?: Record<string, unknown>;
  priority?: number;
  requirements?: unknown;
  metadata?: Record<string, unknown>;
  timeoutSeconds?: number;
}

/** Messages of the live stream the dashboard reacts to. */
export type StreamMessage =
  | { type: 'ready'; tenant: string }
  | { type: 'snapshot'; job: Job; lastSeq: number }
  | ({ type: 'event' } & JobEventRecord)
  | { type: 'preview'; jobId: string; node: string | null; mime: string; data: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'subscribed' | 'unsubscribed' | 'pong' };
