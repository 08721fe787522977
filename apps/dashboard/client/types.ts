/**
 * The API's shapes, from the SDK (types only, plus tiny helpers and limits: the bundle stays small).
 * Names as the dashboard uses them.
 */
export type {
  Backend,
  Health,
  Job,
  JobEvent as JobEventRecord,
  JobPage,
  JobStatus,
  Preview,
  SubmitJobInput as SubmitBody,
} from '@gantry/sdk';
export { isTerminalStatus as isTerminal, JOB_EVENTS_PAGE_MAX } from '@gantry/sdk';
