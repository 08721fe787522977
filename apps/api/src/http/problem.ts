import type { Response } from 'express';
import { ERROR_STATUS, ERROR_TITLES, type AppError, type Problem } from '@gantry/domain';

/** RFC 9457 problem details, the one error envelope of the API (`problemSchema` of @gantry/domain). */
export type { Problem };

export function problemFromError(err: AppError, instance: string, requestId: string): Problem {
  const status = ERROR_STATUS[err.code];
  const problem: Problem = {
    type: `urn:gantry:error:${err.code.toLowerCase()}`,
    title: ERROR_TITLES[err.code],
    status,
    detail: err.message,
    instance,
    code: err.code,
    requestId,
  };
  if (err.details !== undefined) problem.errors = err.details as Problem['errors'];
  return problem;
}

export function sendProblem(res: Response, problem: Problem): void {
  res.locals.problemCode = problem.code; // the error counter of /metrics (metrics/http-metrics.ts)
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}
