// The mesh's errors: one class with a stable code and the data a caller or an operator needs.

export type MeshErrorCode =
  /** A published port could not be bound on this node (in use, or not permitted). */
  | 'PORT_UNAVAILABLE'
  /** No task of the service is in rotation (or every one failed to connect). */
  | 'NO_BACKEND'
  /** A task refused or did not answer the connection in time. */
  | 'BACKEND_UNREACHABLE'
  /** This node does not know where the task listens (its resolver has no address). */
  | 'TASK_UNKNOWN'
  /** The tunnel to another node's mesh could not be opened or broke. */
  | 'TUNNEL_BROKEN'
  /** The peer of a tunnel is not a node of this cluster (or not the expected one). */
  | 'TUNNEL_AUTH'
  /** A tunnel peer sent bytes that are not the tunnel protocol. */
  | 'TUNNEL_PROTOCOL'
  /** The connection was idle longer than the service's idle timeout. */
  | 'IDLE_TIMEOUT'
  /** The task stopped and its drain period ended. */
  | 'DRAINED'
  /** The mesh is stopping. */
  | 'STOPPED';

export class MeshError extends Error {
  override readonly name = 'MeshError';
  constructor(
    readonly code: MeshErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The errno-style code of an error from a socket (`ECONNREFUSED`), or the MeshError code. */
export function errorCode(err: unknown): string {
  if (err instanceof MeshError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
