// The object model's public face: the types of specs and stored objects, task states, the
// validators that turn untrusted input into specs, SwarmKit's defaults, and ids. Other parts of
// Flotilla import from here only.

export type * from './service-spec.js';
export type * from './objects.js';
export * from './durations.js';
export {
  TASK_STATES,
  compareTaskStates,
  isTaskState,
  isTerminal,
  movesForward,
  taskStateRank,
} from './task-state.js';
export type { TaskState } from './task-state.js';
export { ID_LENGTH, isId, newId } from './ids.js';
export type { RandomBytes } from './ids.js';
export { ValidationError } from './errors.js';
export {
  validateClusterSpec,
  validateConfigSpec,
  validateNodeDescription,
  validateNodeSpec,
  validateSecretSpec,
  validateServiceSpec,
  validateTaskStatus,
} from './validate.js';
export { MAX_DEPTH, MAX_SPEC_BYTES } from './payload-size.js';
export { MAX_CONFIG_BYTES, MAX_SECRET_BYTES } from './validate-secret.js';
export { parseConstraint } from './constraints.js';
export type { Constraint, ConstraintField, ConstraintOperator } from './constraints.js';
export { isValidImageReference } from './image-reference.js';
export * from './defaults.js';
export {
  expandEnvEntry,
  expandTemplate,
  fullTaskName,
  hasTemplate,
  parseTemplate,
  templateContext,
  TemplateError,
} from './templates.js';
export type { Template, TemplateContext, TemplateContextInput, TemplatePart } from './templates.js';
