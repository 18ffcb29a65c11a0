// Task states: SwarmKit's order, forward-only movement, and which states are terminal.

import { describe, expect, it } from 'vitest';
import {
  TASK_STATES,
  compareTaskStates,
  isTaskState,
  isTerminal,
  movesForward,
  taskStateRank,
} from '../../../src/api/index.js';

describe('task states', () => {
  it('ranks the states in lifecycle order with SwarmKit’s enum numbers', () => {
    const ranks = TASK_STATES.map(taskStateRank);
    expect(ranks).toEqual([0, 64, 192, 256, 320, 384, 448, 512, 576, 640, 704, 768, 800, 832]);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
  });

  it('lets a task move forward or stay, never back', () => {
    expect(movesForward('pending', 'assigned')).toBe(true);
    expect(movesForward('running', 'running')).toBe(true);
    expect(movesForward('running', 'failed')).toBe(true);
    expect(movesForward('running', 'starting')).toBe(false);
    expect(movesForward('shutdown', 'running')).toBe(false);
    expect(compareTaskStates('new', 'orphaned')).toBeLessThan(0);
  });

  it('calls every state past running terminal', () => {
    const terminal = TASK_STATES.filter(isTerminal);
    expect(terminal).toEqual(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);
  });

  it('recognises only Docker’s lower-case names', () => {
    expect(isTaskState('running')).toBe(true);
    for (const value of ['RUNNING', 'allocated', 'toString', '', 1]) expect(isTaskState(value)).toBe(false);
  });
});
