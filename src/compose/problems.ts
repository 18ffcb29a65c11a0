// What loading, validating and mapping a compose file can report: errors (the stack cannot be
// deployed) and warnings (something in the file has no effect on Flotilla), each naming the
// file, line, column and key path, as `compose.yml:12:7: services.vote.deploy.replicas: …`.

/** Where a key or list item starts in a compose file (1-based line and column). */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

export type Severity = 'error' | 'warning';

export interface ComposeProblem {
  severity: Severity;
  /** Absent for problems that belong to no place in a file (a missing file, a deploy step). */
  position?: SourcePosition;
  /** Key path in the compose model: `services.vote.deploy.replicas`, `services.db.ports[1]`. */
  path: string;
  message: string;
}

export function formatProblem(problem: ComposeProblem): string {
  const where = problem.position
    ? `${problem.position.file}:${problem.position.line}:${problem.position.col}: `
    : '';
  return `${where}${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`;
}

/** A compose file that cannot become a stack: every error found, one line each. */
export class ComposeError extends Error {
  readonly code = 'INVALID_COMPOSE_FILE';
  constructor(
    readonly errors: readonly ComposeProblem[],
    readonly warnings: readonly ComposeProblem[] = [],
  ) {
    super(errors.map(formatProblem).join('\n'));
    this.name = 'ComposeError';
  }
}

/** Collects problems; the positions of every key path come from the loaded files. */
export class ProblemSink {
  constructor(
    private readonly positionOf: (path: string) => SourcePosition | undefined = () => undefined,
    readonly errors: ComposeProblem[] = [],
    readonly warnings: ComposeProblem[] = [],
  ) {}

  /** A sink writing to the same lists that finds positions in another place (another file). */
  withPositions(positionOf: (path: string) => SourcePosition | undefined): ProblemSink {
    return new ProblemSink(positionOf, this.errors, this.warnings);
  }

  error(path: string, message: string): void {
    this.errors.push(this.problem('error', path, message));
  }

  warn(path: string, message: string): void {
    this.warnings.push(this.problem('warning', path, message));
  }

  /** Throws ComposeError when any error was reported. */
  throwIfErrors(): void {
    if (this.errors.length > 0) throw new ComposeError(this.errors, this.warnings);
  }

  private problem(severity: Severity, path: string, message: string): ComposeProblem {
    const position = this.positionOf(path) ?? this.nearestPosition(path);
    return position === undefined ? { severity, path, message } : { severity, position, path, message };
  }

  /** A path made up during mapping (`…ports[3]` of an expanded range) points at its closest parent. */
  private nearestPosition(path: string): SourcePosition | undefined {
    let at = path;
    while (at !== '') {
      const cut = Math.max(at.lastIndexOf('.'), at.lastIndexOf('['));
      if (cut <= 0) return undefined;
      at = at.slice(0, cut);
      const position = this.positionOf(at);
      if (position !== undefined) return position;
    }
    return undefined;
  }
}

export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}
