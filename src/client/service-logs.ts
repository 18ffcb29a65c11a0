// What FlotillaClient.serviceLogs yields, and `docker service logs`' way of printing it: each
// line prefixed with the task that wrote it (`name.slot.taskid@node`), optionally its timestamp.

export interface ServiceLogsOptions {
  /**
   * Keep the stream open and yield lines as the tasks write them, until `signal` aborts. For a
   * service, the tasks that start meanwhile are followed too, from their first line.
   */
  follow?: boolean;
  /** Only the last `tail` lines of each task (0: none, with follow only what comes next); default every line. */
  tail?: number;
  /** Only lines stamped at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Ends the stream (the iteration finishes) when aborted. */
  signal?: AbortSignal;
  /** Called for each node that could not serve its part (the others go on). */
  onWarning?: (warning: ServiceLogWarning) => void;
}

export interface ServiceLogLine {
  taskId: string;
  serviceId: string;
  serviceName: string;
  /** The replica number; 0 for a global service's task. */
  taskSlot: number;
  nodeId: string;
  /** The node's hostname ('' when the manager does not know it). */
  nodeName: string;
  stream: 'stdout' | 'stderr';
  /** ms since the epoch, as the engine stamped the line. */
  timeMs: number;
  line: string;
}

/** A node that could not serve its part (not connected, a task's container gone, …). */
export interface ServiceLogWarning {
  /** '' when it concerns the whole request. */
  nodeId: string;
  message: string;
}

/** The lines, in arrival order; `warnings` fills in as the nodes report them. */
export interface ServiceLogStream extends AsyncIterable<ServiceLogLine> {
  readonly warnings: readonly ServiceLogWarning[];
}

export interface FormatOptions {
  /** Prefix the line with its RFC 3339 timestamp (`--timestamps`). */
  timestamps?: boolean;
  /** Full task ids instead of their first 12 characters (`--no-trunc`). */
  noTrunc?: boolean;
}

/** The line as `docker service logs` prints it: `web.2.3xk1…@node-1    | text`. */
export function formatLogLine(line: ServiceLogLine, options: FormatOptions = {}): string {
  const taskId = options.noTrunc ? line.taskId : line.taskId.slice(0, 12);
  // A global service's tasks have no slot: Docker names them by node instead.
  const slot = line.taskSlot > 0 ? String(line.taskSlot) : line.nodeId;
  const prefix = `${line.serviceName}.${slot}.${taskId}@${line.nodeName || line.nodeId}`;
  const time = options.timestamps ? `${new Date(line.timeMs).toISOString()} ` : '';
  return `${time}${prefix}    | ${line.line}`;
}
