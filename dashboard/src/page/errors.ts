/** Why something the dashboard asked for failed. Code matches on `code`; people read `message`. */
export type DashboardErrorCode =
  /** The API answered with an HTTP error status. */
  | 'HTTP_ERROR'
  /** The API could not be reached at all. */
  | 'NETWORK'
  /** The API answered with a body the contracts do not describe. */
  | 'BAD_RESPONSE'
  /** An asset id that is not in the loaded catalogue. */
  | 'UNKNOWN_ASSET'
  /** The page lacks an element the layout needs. */
  | 'MISSING_ELEMENT';

/** The dashboard's one coded error. */
export class DashboardError extends Error {
  override readonly name = 'DashboardError';
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
    /** HTTP status, when the error came from a response. */
    readonly status?: number,
  ) {
    super(message);
  }
}
