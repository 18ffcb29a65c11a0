// The typed error of the object model: a spec that breaks a rule. Its `code` is the gRPC status
// name it maps to (INVALID_ARGUMENT), so the control API can answer with a typed status.

/**
 * Input broke a rule of the object model. `path` names the field (`spec.taskTemplate.containerSpec.image`,
 * `spec.endpointSpec.ports[1].publishedPort`, `spec.labels["com.example"]`), `rule` says what was
 * wrong (`required`, `must be a string`, `unknown field`, `must be between 1 and 65535`).
 * Like Docker, validation stops at the first broken rule.
 */
export class ValidationError extends Error {
  readonly code = 'INVALID_ARGUMENT';

  constructor(
    readonly path: string,
    readonly rule: string,
  ) {
    super(path === '' ? rule : `${path}: ${rule}`);
    this.name = 'ValidationError';
  }
}
