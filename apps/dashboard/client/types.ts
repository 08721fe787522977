/**
 * The API's shapes, from the SDK (types only, plus two tiny helpers: the bundle stays small).
 * Names as the dashboard uses them.
 */
export type {
  Artifact,
  Backend,
  Health,
  Job,
  JobError,
  JobEvent as JobEventRecord,
  JobEventBody,
  JobPage,
  JobStatus,
  Preview,
  SubmitJobInput as SubmitBody,
} from '@gantry/sdk';
export { JOB_STATUSES, isTerminalStatus as isTerminal } from '@gantry/sdk';
