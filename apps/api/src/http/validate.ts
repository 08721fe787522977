import type { z } from 'zod';
import { AppError, type FieldError } from '@gantry/domain';

export type { FieldError };

/** Parses input with a schema; failures become 422 VALIDATION_FAILED listing every failing field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
    code: issue.code,
  }));
  throw new AppError('VALIDATION_FAILED', `The ${what} is invalid`, { details: errors });
}
