/** The public job view lives in @gantry/domain: the API and the worker's webhooks share it. */
export { jobView } from '@gantry/domain';
