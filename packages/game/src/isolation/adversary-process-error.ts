import { MixnsqueezeError } from '@mixnsqueeze/core';

/** What went wrong with an adversary's process. */
export type AdversaryFailure = 'start' | 'crash' | 'throw' | 'timeout' | 'protocol' | 'closed';

/**
 * The adversary's own process failed: it could not start, died, threw, sent something the
 * protocol does not allow, never answered in time, or its host was closed under it. The message is
 * one line naming the adversary and what happened.
 */
export class AdversaryProcessError extends MixnsqueezeError {
  /** Which of the failures it was. */
  readonly failure: AdversaryFailure;
  constructor(failure: AdversaryFailure, message: string) {
    super('E_ADVERSARY_PROCESS', message);
    this.failure = failure;
  }
}
