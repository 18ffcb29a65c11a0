// The restart supervisor's public face: the driver and its pure pass. The restart-policy rules it
// applies are shared with the other loops (../restart-policy.ts).

export { RestartSupervisor } from './supervisor.js';
export type { RestartSupervisorOptions } from './supervisor.js';
export { planRestarts } from './supervise.js';
