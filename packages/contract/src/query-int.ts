import { z } from 'zod';

/** Decimal digits, with a minus sign when negative: no spaces, `+`, hex, exponent, fraction or empty string. */
const DECIMAL = /^-?\d+$/;

/** A decimal query value as a number; anything else is passed on as it is, for the schema to refuse. */
function decimal(value: unknown): unknown {
  return typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
}

/**
 * An integer query parameter from `min` to `max`, written in decimal digits. `z.coerce.number()`
 * would take `''` as 0, `0x10` as 16 and ` 1e3 ` as 1000; this refuses them, an array (a repeated
 * parameter) and anything out of range, so the database never sees a value its column cannot hold
 * (keep `max` within the column's type: INT4_MAX for `integer`). Documented as an integer.
 */
export function queryInt(min: number, max: number, defaultValue: number) {
  const message = `an integer from ${min} to ${max}, in decimal digits`;
  return z.preprocess(decimal, z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message }).default(defaultValue));
}
