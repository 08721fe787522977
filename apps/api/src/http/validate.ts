import type { z } from 'zod';
import { AppError, type FieldError } from '@gantry/domain';

/**
 * One zod issue as a field error. A refused record key (`invalid_key`) reports its inner issue
 * (why the key is refused) at the key's path; a custom check that names its own code (e.g.
 * `unstorable_text`) reports that code rather than zod's generic `custom`.
 */
function fieldError(issue: z.core.$ZodIssue): FieldError {
  const inner = issue.code === 'invalid_key' ? issue.issues[0] : undefined;
  const shown = inner ?? issue;
  const params = shown.code === 'custom' ? (shown.params as { code?: unknown } | undefined) : undefined;
  return {
    path: issue.path.map(String).join('.'),
    message: shown.message,
    code: typeof params?.code === 'string' ? params.code : shown.code,
  };
}

/** What input is parsed with: a zod schema, or a parser that answers as one (`submitJobParser`). */
export interface SafeParser<T> {
  safeParse(input: unknown): z.ZodSafeParseResult<T>;
}

/** Parses input with a schema; failures become 422 VALIDATION_FAILED listing every failing field. */
export function parseInput<T>(schema: SafeParser<T>, input: unknown, what: string): T {
  const result = tryParseInput(schema, input, what);
  if (result.ok) return result.data;
  throw result.error;
}

/** parseInput without the throw: the error it would throw, for callers that collect several (a batch's items). */
export function tryParseInput<T>(schema: SafeParser<T>, input: unknown, what: string): { ok: true; data: T } | { ok: false; error: AppError } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, error: new AppError('VALIDATION_FAILED', `The ${what} is invalid`, { details: result.error.issues.map(fieldError) }) };
}
