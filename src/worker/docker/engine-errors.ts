// How the executor reads dockerode's errors: the HTTP status the engine answered with and the
// engine's own message. An error without a status never reached the engine (socket refused,
// engine down): that is the node's problem, never the task's.

/** The status code of an engine answer, or undefined when the engine did not answer. */
export function engineStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's message (`No such image: busybox:9`), without dockerode's `(HTTP code …)` prefix. */
export function engineMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const json = (error as { json?: unknown }).json;
    if (typeof json === 'object' && json !== null) {
      const message = (json as { message?: unknown }).message;
      if (typeof message === 'string' && message !== '') return message;
    }
    if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
  }
  // Streamed answers (pull) carry no json: dockerode puts the engine's words after its prefix.
  if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  return typeof error === 'string' ? error : JSON.stringify(error);
}

export function isEngineAnswer(error: unknown): boolean {
  return engineStatus(error) !== undefined;
}

export const isNotFound = (error: unknown): boolean => engineStatus(error) === 404;
export const isConflict = (error: unknown): boolean => engineStatus(error) === 409;
/** 304: the container already is in the asked state (start of a running one, stop of a stopped one). */
export const isNotModified = (error: unknown): boolean => engineStatus(error) === 304;

/** The executor was closed while a call waited on it. */
export class ExecutorClosedError extends Error {
  readonly code = 'EXECUTOR_CLOSED';
  constructor() {
    super('docker executor closed');
    this.name = 'ExecutorClosedError';
  }
}
