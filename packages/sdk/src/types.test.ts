import * as contract from '@gantry/contract';
import { BATCH_MAX_JOBS, JOB_STATUSES, TERMINAL_STATUSES, type CreateApiKeyInput, type SubmitBatchInput, type SubmitJobInput } from './types.js';

/**
 * The SDK's wire types come from @gantry/contract (`import type`). What it still declares itself:
 * the runtime values (a browser bundle must not pull in the contract's zod) and the narrowed
 * request bodies. These checks fail typechecking (`npm run typecheck`) or the test when they drift.
 */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assignable<From, To> = [From] extends [To] ? true : false;
const check = <T extends true>(): T => true as T;

describe('SDK wire types', () => {
  it('match @gantry/contract', () => {
    // Every body the SDK sends is one the API accepts, with the same fields.
    check<Assignable<SubmitJobInput, contract.SubmitJobRequest>>();
    check<Equals<keyof SubmitJobInput, keyof contract.SubmitJobRequest>>();
    check<Assignable<SubmitBatchInput, contract.SubmitBatchInput>>();
    // The API also accepts the legacy `admin`; the SDK offers only the current names.
    check<Assignable<CreateApiKeyInput, contract.CreateApiKeyRequest>>();
    expect(BATCH_MAX_JOBS).toBe(contract.BATCH_MAX_JOBS);
    expect([...JOB_STATUSES]).toEqual([...contract.JOB_STATUSES]);
    expect([...TERMINAL_STATUSES]).toEqual([...contract.TERMINAL_STATUSES]);
  });
});
