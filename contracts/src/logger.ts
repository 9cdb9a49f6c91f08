/**
 * The one logger type every workspace takes: the structured subset of pino's API the hub uses (an object with the
 * event's fields, then a message). The composition root passes a pino logger; tests pass any object of this shape.
 */
export interface LogFn {
  (obj: object, msg?: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** A logger that drops everything, for parts used without one. */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
