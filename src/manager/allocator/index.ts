// The allocator's public face: the Allocator loop (endpoints, NEW → PENDING), the port
// validator the control API calls at create and update time, and the pure allocation.

export { Allocator } from './allocator.js';
export type { AllocatorOptions, AllocatorStats } from './allocator.js';
export {
  allocateEndpoints,
  checkPortConflicts,
  DYNAMIC_PORT_END,
  DYNAMIC_PORT_START,
  isEndpointCurrent,
  portKey,
} from './ports.js';
export type { EndpointAllocation, PublishingService } from './ports.js';
export { isNewTask, PENDING_MESSAGE, tasksToPend } from './tasks.js';
export type { TaskTransition } from './tasks.js';
