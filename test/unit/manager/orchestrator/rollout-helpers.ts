// What the rolling-update tests read and do, measured from the store independently of the
// updater's own bookkeeping: which slots run which image, how many slots are being replaced,
// and a round of the simulated cluster followed by the loops' reaction.

import { expect } from 'vitest';
import type { UpdateConfig } from '../../../../src/api/index.js';
import type { StoredTask } from '../../../../src/manager/orchestrator/index.js';
import { World, type ServiceOptions } from './harness.js';

export const OLD = 'nginx:1.27';
export const NEW = 'nginx:1.28';

/** A converged service `web` of `replicas` tasks on OLD over 3 nodes, every loop running. */
export async function convergedService(
  replicas: number,
  update: UpdateConfig = {},
  extra: ServiceOptions = {},
): Promise<{ world: World; id: string }> {
  const world = new World();
  for (let i = 1; i <= 3; i++) await world.addNode(`n${i}`);
  const id = await world.addService('web', { replicas, update, image: OLD, ...extra });
  world.startAll();
  await world.converge();
  expect(allLiveOn(world, id, OLD)).toBe(true);
  return { world, id };
}

/** Live tasks on `image` not running yet. */
export function startingOn(world: World, id: string, image: string): StoredTask[] {
  return world.live(id).filter((t) => imageOf(t) === image && t.status.state !== 'running');
}

export function imageOf(task: StoredTask): string {
  return task.spec.containerSpec.image;
}

/** The slot (replicated) or node (global) a task occupies. */
export function slotOf(task: StoredTask): string {
  return task.slot !== undefined ? `slot ${task.slot}` : `node ${task.nodeId}`;
}

/** Live tasks by slot. */
export function liveBySlot(world: World, id: string): Map<string, StoredTask[]> {
  const slots = new Map<string, StoredTask[]>();
  for (const task of world.live(id)) {
    const key = slotOf(task);
    slots.set(key, [...(slots.get(key) ?? []), task]);
  }
  return slots;
}

/** The image of each slot's live tasks, slots in order, e.g. ['1.27', '1.28', '1.28']. */
export function liveImages(world: World, id: string): string[] {
  return [...liveBySlot(world, id).entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([, tasks]) => tasks.map(imageOf).sort().join('+'));
}

/**
 * Slots being replaced right now: a live task on `image` not RUNNING yet (stop-first: its old
 * task was stopped for it; start-first: it starts next to the old one), or a live task on
 * `image` next to a live task on another image.
 */
export function replacing(world: World, id: string, image: string): number {
  let count = 0;
  for (const tasks of liveBySlot(world, id).values()) {
    const fresh = tasks.filter((t) => imageOf(t) === image);
    const old = tasks.filter((t) => imageOf(t) !== image);
    if (fresh.some((t) => t.status.state !== 'running') || (fresh.length > 0 && old.length > 0)) count++;
  }
  return count;
}

/** Slots where two tasks run at once (by their status, whatever they were told). */
export function bothRunning(world: World, id: string): number {
  const running = new Map<string, number>();
  for (const task of world.tasks(id))
    if (task.status.state === 'running') running.set(slotOf(task), (running.get(slotOf(task)) ?? 0) + 1);
  return [...running.values()].filter((n) => n > 1).length;
}

/** One round of the simulated cluster (placements, starts, stops), then the loops react. */
export async function round(world: World): Promise<void> {
  await world.runCluster();
  await world.settle();
}

/**
 * Rounds until `done` holds, calling `check` after each (the invariant under test). Bounded:
 * says what was awaited when it does not happen.
 */
export async function roundsUntil(
  world: World,
  done: () => boolean,
  check: () => void = () => undefined,
  what = 'the condition',
  maxRounds = 100,
): Promise<number> {
  await world.settle();
  check();
  for (let rounds = 0; rounds < maxRounds; rounds++) {
    if (done()) return rounds;
    await round(world);
    check();
  }
  throw new Error(`${what} did not happen within ${maxRounds} rounds`);
}

/** The service's rollout state (`updateStatus.state`), or 'none'. */
export function rolloutState(world: World, id: string): string {
  return world.service(id).updateStatus?.state ?? 'none';
}

export function allLiveOn(world: World, id: string, image: string): boolean {
  const live = world.live(id);
  return live.length > 0 && live.every((t) => imageOf(t) === image && t.status.state === 'running');
}
