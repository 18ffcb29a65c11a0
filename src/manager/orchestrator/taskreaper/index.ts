// The task reaper's public face: the driver and its pure decisions.

export { TaskReaper, DEFAULT_REAPER_BATCH_DELAY_MS } from './task-reaper.js';
export type { TaskReaperOptions } from './task-reaper.js';
export { historyLimit, historyToDelete, isFinished, planReaping } from './reap.js';
