/**
 * The base of the workspaces' coded errors: a stable `code` to match on, and a message for people. Each
 * workspace keeps its own catalogue of codes and its own subclass.
 */
export class CodedError<C extends string> extends Error {
  constructor(readonly code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
