// Watches: commit order, filters, resumption from a retained version, compaction, slow watchers,
// and cleanup.

import { describe, expect, it } from 'vitest';
import { CompactedError, WatchOverflowError } from '../../../../src/manager/store/errors.js';
import type { StoreEvent } from '../../../../src/manager/store/types.js';
import type { Watch } from '../../../../src/manager/store/watch.js';
import { Driver, create, node, remove, service, task, update } from './helpers.js';

const NOTHING = Symbol('nothing');

/** The next event, or NOTHING if none arrives within `ms` (the store delivers on microtasks). */
async function nextWithin(watch: Watch, ms = 20): Promise<StoreEvent | typeof NOTHING> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof NOTHING>((resolve) => (timer = setTimeout(() => resolve(NOTHING), ms)));
  const next = watch.next().then((r) => (r.done ? NOTHING : r.value));
  try {
    return await Promise.race([next, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function take(watch: Watch, n: number): Promise<StoreEvent[]> {
  const events: StoreEvent[] = [];
  while (events.length < n) {
    const event = await nextWithin(watch, 1000);
    if (event === NOTHING) throw new Error(`expected ${n} events, got ${events.length}`);
    events.push(event);
  }
  return events;
}

const summary = (events: StoreEvent[]): string[] =>
  events.map((e) => `${e.version}:${e.type}:${e.kind}:${e.object.id}`);

describe('watch', () => {
  it('delivers live changes in commit order, operations of a transaction in their order', async () => {
    const d = new Driver();
    const watch = d.store.watch();
    d.ok([create('service', service('s1', 'web')), create('task', task('t1', { serviceId: 's1' }))]);
    d.ok([update('task', task('t1', { serviceId: 's1', nodeId: 'n1' }))]);
    d.ok([remove('task', 't1'), remove('service', 's1')]);
    const events = await take(watch, 5);
    expect(summary(events)).toEqual([
      '1:create:service:s1',
      '1:create:task:t1',
      '2:update:task:t1',
      '3:delete:task:t1',
      '3:delete:service:s1',
    ]);
    // An update carries the object before and after; a delete the last state.
    expect(events[2]!.previous?.nodeId).toBeUndefined();
    expect(events[2]!.object.nodeId).toBe('n1');
    expect(events[3]!.object.nodeId).toBe('n1');
    expect(await nextWithin(watch)).toBe(NOTHING);
    watch.close();
  });

  it('filters by kind, id, event type and labels (an update matches on either side)', async () => {
    const d = new Driver();
    const byKind = d.store.watch({ kinds: ['node'] });
    const byId = d.store.watch({ ids: ['s2'] });
    const byType = d.store.watch({ types: ['delete'] });
    const byLabel = d.store.watch({ labels: { tier: 'front' } });
    d.ok([
      create('service', service('s1', 'web', { tier: 'front' })),
      create('service', service('s2', 'api')),
    ]);
    d.ok([create('node', node('n1', 'h1', { tier: 'front' }))]);
    d.ok([update('service', service('s1', 'web', { tier: 'back' }))]); // leaves the selector
    d.ok([update('service', service('s1', 'web', { tier: 'back', x: 'y' }))]); // outside it throughout
    d.ok([remove('service', 's2'), remove('node', 'n1')]);
    expect(summary(await take(byKind, 2))).toEqual(['2:create:node:n1', '5:delete:node:n1']);
    expect(summary(await take(byId, 2))).toEqual(['1:create:service:s2', '5:delete:service:s2']);
    expect(summary(await take(byType, 2))).toEqual(['5:delete:service:s2', '5:delete:node:n1']);
    expect(summary(await take(byLabel, 4))).toEqual([
      '1:create:service:s1',
      '2:create:node:n1',
      '3:update:service:s1',
      '5:delete:node:n1',
    ]);
    for (const w of [byKind, byId, byType, byLabel]) {
      expect(await nextWithin(w)).toBe(NOTHING);
      w.close();
    }
  });

  it('replays the retained changes after a version, then follows live ones without a gap', async () => {
    const d = new Driver();
    for (let i = 1; i <= 5; i++) d.ok([create('node', node(`n${i}`, `h${i}`))]);
    const watch = d.store.watch({}, { fromVersion: 3 });
    d.ok([create('node', node('n6', 'h6'))]);
    expect(summary(await take(watch, 3))).toEqual([
      '4:create:node:n4',
      '5:create:node:n5',
      '6:create:node:n6',
    ]);
    watch.close();
  });

  it('skips changes up to a version this manager has not reached yet', async () => {
    const d = new Driver();
    d.ok([create('node', node('n1', 'a'))]);
    // E.g. a version read from another, more up-to-date manager.
    const watch = d.store.watch({}, { fromVersion: 3 });
    for (const id of ['n2', 'n3', 'n4']) d.ok([create('node', node(id, id))]);
    expect(summary(await take(watch, 1))).toEqual(['4:create:node:n4']);
    watch.close();
  });

  it('misses nothing when a watcher resumes from the last version it processed', async () => {
    const d = new Driver();
    const reference = d.store.watch();
    let first = d.store.watch();
    const seen: StoreEvent[] = [];
    for (let i = 0; i < 30; i++) {
      d.ok([create('task', task(`t${i}`)), create('task', task(`u${i}`))]);
      if (i % 7 === 3) {
        // The consumer stops after reading what it has (whole transactions), then resumes.
        const got = await take(first, 2 * (i + 1) - seen.length);
        seen.push(...got);
        first.close();
        first = d.store.watch({}, { fromVersion: seen.at(-1)!.version });
      }
    }
    seen.push(...(await take(first, 60 - seen.length)));
    expect(summary(seen)).toEqual(summary(await take(reference, 60)));
    expect(await nextWithin(first)).toBe(NOTHING);
    first.close();
    reference.close();
  });

  it('refuses to resume from a version older than the retained history', () => {
    const d = new Driver({ maxEvents: 4 });
    for (let i = 1; i <= 6; i++) d.ok([create('node', node(`n${i}`, `h${i}`))]);
    // Events 1 and 2 were discarded: a watch must start at version 2 or later.
    expect(d.store.oldestWatchableVersion).toBe(2);
    let error: unknown;
    try {
      d.store.watch({}, { fromVersion: 1 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CompactedError);
    expect(error).toMatchObject({ code: 'COMPACTED', requested: 1, oldest: 2 });
    expect((error as Error).message).toMatch(/re-list/);
    d.store.watch({}, { fromVersion: 2 }).close();
  });

  it('ends a watcher that falls too far behind, without ever holding up writes', async () => {
    const d = new Driver({ maxEvents: 10 });
    const slow = d.store.watch();
    const fast = d.store.watch();
    const fastSeen: StoreEvent[] = [];
    for (let i = 0; i < 25; i++) {
      d.ok([create('task', task(`t${i}`))]);
      fastSeen.push(...(await take(fast, 1)));
    }
    expect(fastSeen).toHaveLength(25);
    expect(d.store.count('task')).toBe(25);
    await expect(slow.next()).rejects.toBeInstanceOf(WatchOverflowError);
    await expect(slow.next()).resolves.toEqual({ done: true, value: undefined });
    fast.close();
  });

  it('keeps a filtered watcher that only fell behind on changes it does not want', async () => {
    const d = new Driver({ maxEvents: 5 });
    const services = d.store.watch({ kinds: ['service'] });
    d.ok([create('service', service('s1', 'web'))]);
    for (let i = 0; i < 20; i++) d.ok([create('task', task(`t${i}`))]);
    d.ok([update('service', service('s1', 'www'))]);
    // s1's creation was discarded unread: that one is lost, so the watcher must re-list.
    await expect(services.next()).rejects.toBeInstanceOf(WatchOverflowError);

    const again = d.store.watch({ kinds: ['service'] }, { fromVersion: d.store.version });
    for (let i = 20; i < 40; i++) d.ok([create('task', task(`t${i}`))]);
    d.ok([update('service', service('s1', 'web'))]);
    expect(summary(await take(again, 1))).toEqual([`${d.store.version}:update:service:s1`]);
    again.close();
  });

  it('ends iteration on close, on break and on abort', async () => {
    const d = new Driver();
    const closed = d.store.watch();
    const pending = closed.next();
    closed.close();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });

    const broken = d.store.watch();
    d.ok([create('node', node('n1', 'a')), create('node', node('n2', 'b'))]);
    const seen: string[] = [];
    for await (const event of broken) {
      seen.push(event.object.id);
      break;
    }
    expect(seen).toEqual(['n1']);
    expect(broken.isClosed).toBe(true);

    const controller = new AbortController();
    const aborted = d.store.watch({}, { signal: controller.signal });
    const waiting = aborted.next();
    controller.abort();
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
  });

  it('ends open watches with CompactedError when the store is replaced by a snapshot', async () => {
    const source = new Driver();
    for (let i = 1; i <= 3; i++) source.ok([create('node', node(`n${i}`, `h${i}`))]);
    const d = new Driver();
    d.ok([create('node', node('n1', 'h1'))]);
    const watch = d.store.watch();
    d.store.restore(source.store.snapshot());
    await expect(watch.next()).rejects.toMatchObject({ code: 'COMPACTED', requested: 1, oldest: 3 });
    expect(() => d.store.watch({}, { fromVersion: 2 })).toThrow(CompactedError);
    // From the snapshot's version on, watching works again.
    const fresh = d.store.watch({}, { fromVersion: 3 });
    d.index = 3;
    d.ok([create('node', node('n4', 'h4'))]);
    expect(summary(await take(fresh, 1))).toEqual(['4:create:node:n4']);
    fresh.close();
  });
});
