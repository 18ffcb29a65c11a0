import { describe, expect, it } from 'vitest';
import { localStore } from '../../support/local-consensus.js';

describe('localStore', () => {
  it('applies each write at the next index, refuses stale versions, and feeds watches', async () => {
    const { store } = localStore();
    const events: string[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      for await (const event of store.watch({ kinds: ['config'] }, { signal: controller.signal }))
        events.push(`${event.type}@${event.version}`);
    })();
    const spec = { name: 'c', data: Buffer.from('x') };
    const created = await store.update([{ op: 'create', kind: 'config', object: { spec } }]);
    expect(created.version).toBe(1);
    const id = created.objects[0]!.id;
    await store.update([{ op: 'update', kind: 'config', object: { id, spec }, expectedVersion: 1 }]);
    await expect(
      store.update([{ op: 'update', kind: 'config', object: { id, spec }, expectedVersion: 1 }]),
    ).rejects.toThrow(/version/);
    expect(store.get('config', id)?.meta.version.index).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await watching;
    expect(events).toEqual(['create@1', 'update@2']);
  });
});
