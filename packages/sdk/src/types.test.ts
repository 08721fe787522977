import type * as contract from '@gantry/contract';
import type { CreateApiKeyInput, Problem, SubmitBatchInput, SubmitJobInput } from './types.js';

/**
 * The SDK's wire types and runtime values come from @gantry/contract (`import type`, and
 * `@gantry/contract/zod-free` for values). What it still declares itself are narrowings of the
 * request bodies and a looser problem body; these checks fail typechecking (`npm run typecheck`)
 * when one stops fitting the contract.
 */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assignable<From, To> = [From] extends [To] ? true : false;
const check = <T extends true>(): T => true as T;

describe('SDK wire types', () => {
  it('fit @gantry/contract', () => {
    // Every body the SDK sends is one the API accepts, with the same fields.
    expect(check<Assignable<SubmitJobInput, contract.SubmitJobRequest>>()).toBe(true);
    expect(check<Equals<keyof SubmitJobInput, keyof contract.SubmitJobRequest>>()).toBe(true);
    expect(check<Assignable<SubmitBatchInput, contract.SubmitBatchInput>>()).toBe(true);
    // The API also accepts the legacy `admin`; the SDK offers only the current names.
    expect(check<Assignable<CreateApiKeyInput, contract.CreateApiKeyRequest>>()).toBe(true);
    // Every problem body of the API reads as the SDK's (looser) Problem.
    expect(check<Assignable<contract.Problem, Problem>>()).toBe(true);
  });
});
