/**
 * Classification of Prisma client errors by their stable codes
 * (https://www.prisma.io/docs/orm/reference/error-reference), so callers need not know them.
 */
import { chainCodes, errorChain } from './error-chain.js';
import { Prisma } from './generated/client.js';
import { isTransientDbError } from './transient.js';

/** The Prisma error code (`P2002`, ...) of a known request error, else undefined. */
export function prismaErrorCode(err: unknown): string | undefined {
  if (err instanceof Prisma.PrismaClientKnownRequestError) return err.code;
  // Duck-typed as well: two copies of the client runtime would defeat instanceof.
  const candidate = err as { name?: unknown; code?: unknown } | null;
  if (candidate?.name === 'PrismaClientKnownRequestError' && typeof candidate.code === 'string') return candidate.code;
  return undefined;
}

/** What a P2002 says about the violated constraint; each part only when the error tells. */
export interface UniqueViolationTarget {
  /** Constraint (unique index) name, e.g. `jobs_tenant_id_idempotency_key_key`. */
  constraint?: string;
  /** Table of the constraint. */
  table?: string;
  /** Fields or columns of the constraint. */
  fields?: string[];
}

/**
 * The constraint a P2002 names. Prisma 7 with adapter-pg reports it under
 * `meta.driverAdapterError.cause` (constraint `index` name and table); older clients and other
 * adapters give field lists (`meta.target`, `cause.constraint.fields`).
 */
export function uniqueViolationTarget(err: unknown): UniqueViolationTarget {
  const meta = (err as { meta?: Record<string, unknown> } | null)?.meta ?? {};
  const cause = (meta.driverAdapterError as { cause?: Record<string, unknown> } | undefined)?.cause ?? {};
  const constraint = cause.constraint as { index?: unknown; fields?: unknown } | undefined;
  const fields = Array.isArray(meta.target) ? meta.target : Array.isArray(constraint?.fields) ? constraint.fields : undefined;
  return {
    ...(typeof constraint?.index === 'string' ? { constraint: constraint.index } : {}),
    ...(typeof cause.table === 'string' ? { table: cause.table } : {}),
    ...(fields ? { fields: fields.map(String) } : {}),
  };
}

/**
 * Whether `err` is a unique constraint violation (P2002). With `target`, only of that constraint:
 * a string is the constraint name; an array lists its columns (matched against the error's field
 * list, or else against Prisma's default constraint name `<table>_<columns>_key`).
 *
 * @example isUniqueViolation(err, ['tenant_id', 'idempotency_key'])
 */
export function isUniqueViolation(err: unknown, target?: string | readonly string[]): boolean {
  if (prismaErrorCode(err) !== 'P2002' && !isRawQueryViolation(err, '23505')) return false;
  if (target === undefined) return true;
  const found = uniqueViolationTarget(err);
  if (typeof target === 'string') return found.constraint === target;
  if (found.fields) return found.fields.length === target.length && target.every((f) => found.fields?.includes(f));
  return found.table !== undefined && found.constraint === `${found.table}_${target.join('_')}_key`;
}

/** Whether `err` is a foreign key violation (P2003): the row referenced is gone. */
export function isForeignKeyViolation(err: unknown): boolean {
  return prismaErrorCode(err) === 'P2003' || isRawQueryViolation(err, '23503');
}

/**
 * A raw statement that PostgreSQL refused with this SQLSTATE: through `$queryRaw` Prisma reports
 * it as P2010 (raw query failed) with the adapter's error, not as P2002/P2003; through the pool
 * itself (pgPoolOf) it is pg's error, the SQLSTATE in its `code`.
 */
function isRawQueryViolation(err: unknown, sqlstate: string): boolean {
  const code = prismaErrorCode(err);
  return (code === 'P2010' || code === undefined) && chainCodes(errorChain(err)).includes(sqlstate);
}

/** Whether `err` says the record to update, delete or connect does not exist (P2025). */
export function isNotFound(err: unknown): boolean {
  return prismaErrorCode(err) === 'P2025';
}

/**
 * Whether retrying the operation (or the whole transaction) may succeed: the same test as
 * {@link isTransientDbError} (pool timeout, write conflict, lost connection, ...), kept under this
 * name for the classification below.
 */
export function isRetriable(err: unknown): boolean {
  return isTransientDbError(err);
}

/**
 * Prisma's codes for a value the column cannot take: P2000 too long, P2006 not valid for the
 * field, P2007 data validation (adapter-pg: 22P02), P2020 out of range (adapter-pg: 22003), P2033
 * a number beyond 64 bits. (P2005, a stored value unreadable as its type, is about the database's
 * content, not the statement's input, and stays out.)
 */
const INVALID_DATA_PRISMA_CODES: Record<string, string> = {
  P2000: 'value too long',
  P2006: 'invalid value',
  P2007: 'invalid input',
  P2020: 'value out of range',
  P2033: 'number out of range',
};

/** Reasons of the SQLSTATEs of class 22 (data exception) met with client input; others say `data exception`. */
const DATA_EXCEPTION_REASONS: Record<string, string> = {
  '22001': 'value too long',
  '22003': 'numeric value out of range',
  '22021': 'invalid byte sequence',
  '22P02': 'invalid input syntax',
  '22P05': 'untranslatable character',
  '22008': 'datetime out of range',
  '22007': 'invalid datetime',
};

/**
 * Why PostgreSQL (or Prisma, before sending it) refused a value of the statement as data the column
 * cannot hold: a SQLSTATE of class 22 "data exception" (22021 a NUL byte in text, 22P05 a `\u0000`
 * in jsonb, 22003 out of range, 22P02 invalid input syntax, ...) anywhere in the error chain, or one
 * of Prisma's data codes; a short phrase without the value, else undefined. These fail the same
 * way every time: the request, not the moment, is wrong.
 */
export function invalidDataReason(err: unknown): string | undefined {
  const codes = chainCodes(errorChain(err));
  const sqlstate = codes.find((c) => /^22[0-9A-Z]{3}$/.test(c));
  if (sqlstate) return `${DATA_EXCEPTION_REASONS[sqlstate] ?? 'data exception'} (SQLSTATE ${sqlstate})`;
  const prisma = codes.find((c) => c in INVALID_DATA_PRISMA_CODES);
  return prisma ? `${INVALID_DATA_PRISMA_CODES[prisma]} (${prisma})` : undefined;
}

/** Whether `err` says a value of the statement cannot be stored or compared as its column's type. */
export function isInvalidDataError(err: unknown): boolean {
  return invalidDataReason(err) !== undefined;
}

/** Coarse class of a Prisma error, for mapping to application errors. */
export type PrismaErrorKind = 'unique_violation' | 'not_found' | 'retriable' | 'invalid_data' | 'other';

/** {@link PrismaErrorKind} of any thrown value; anything unrecognised is `other`. */
export function classifyPrismaError(err: unknown): PrismaErrorKind {
  if (isUniqueViolation(err)) return 'unique_violation';
  if (isNotFound(err)) return 'not_found';
  if (isRetriable(err)) return 'retriable';
  if (isInvalidDataError(err)) return 'invalid_data';
  return 'other';
}
