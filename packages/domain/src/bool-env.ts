import { z } from 'zod';

/** `true/false/1/0/yes/no` from the environment. */
export const boolEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
