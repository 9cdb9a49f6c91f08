import { CodedError } from '@cityhub/contracts';

/**
 * The shared-state workspace's coded errors. Code matches on `code`; users read the message. Callers with an
 * error catalogue of their own (the device registry) translate these codes into theirs.
 */
export const STATE_ERRORS = {
  /** Another writer held the document too long: a lock file not released in time, or a Redis key changed in a loop. */
  STATE_CONTENDED: 'the document is held by other writers',
  /** The document was closed before (or while) it was used. */
  STATE_CLOSED: 'the document is closed',
  /** The Redis of CITYHUB_REDIS_URL did not answer (at open, or while a change was made). */
  STATE_UNAVAILABLE: 'Redis did not answer',
} as const;

export type StateErrorCode = keyof typeof STATE_ERRORS;

/** An error of a shared document (file or Redis), with a stable `code`. */
export class StateError extends CodedError<StateErrorCode> {
  override readonly name = 'StateError';
}

/** True when `e` is a StateError, optionally of the given code. */
export function isStateError(e: unknown, code?: StateErrorCode): e is StateError {
  return e instanceof StateError && (code === undefined || e.code === code);
}
