import type { RequestHandler } from 'express';
import { AppError } from '@gantry/domain';

/** Bodies must be JSON; anything else is 415 rather than a confusing validation error. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
  }
  next();
};
