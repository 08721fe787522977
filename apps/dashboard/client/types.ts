/**
 * The API's shapes, from the SDK (types only, plus two tiny helpers: the bundle stays small).
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
export { isTerminalStatus as isTerminal } from '@gantry/sdk';
