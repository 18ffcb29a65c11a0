// What the compose unit tests use from the library, in one place.
export * from '../../../src/compose/index.js';
export { ProblemSink as ProblemSinkForTests } from '../../../src/compose/problems.js';
