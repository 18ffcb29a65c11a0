// Admin client certificates over real mutual TLS, with managers in one process on 127.0.0.x:
// two certificates issued and used at every manager of three, one revoked — refused at once by
// every manager with a message that says so, its open watch on a follower cut — while the other
// keeps working; and the `flotilla admin-cert` commands against a manager's admin socket.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlotillaClient } from '../../../src/client/index.js';
import { channelCredentials, createCsr, generateNodeKey } from '../../../src/ca/index.js';
import { Manager } from '../../../src/manager/index.js';
import { addresses, FAST, serviceSpec, TestDirs, waitUntil } from '../../support/manager-cluster.js';
import { runCliCaptured, type CliResult } from '../../support/run-cli.js';

describe('admin certificates', () => {
  let dirs: TestDirs;
  let addr: (n: number) => string;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeEach(async () => {
    dirs = await TestDirs.create();
    addr = addresses(100 + Math.floor(Math.random() * 100));
  });
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
    await dirs.remove();
  });

  const started = (m: Manager): Manager => {
    cleanups.push(() => m.stop());
    return m;
  };
  const withLocal = async <T>(m: Manager, f: (c: FlotillaClient) => Promise<T>): Promise<T> => {
    const c = m.client();
    try {
      return await f(c);
    } finally {
      c.close();
    }
  };

  const threeManagers = async (): Promise<Manager[]> => {
    const a = started(await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning: FAST }));
    const token = await withLocal(a, async (c) => (await c.getCluster()).joinTokens.manager);
    const managers = [a];
    for (const [name, n] of [
      ['b', 2],
      ['c', 3],
    ] as const) {
      const m = started(
        await Manager.join({
          dataDir: dirs.dir(name),
          listenAddr: addr(n),
          joinAddr: a.address,
          joinToken: token,
          tuning: FAST,
        }),
      );
      await waitUntil(`${name} to be a voter`, () => a.raft.membership().voters.includes(m.id));
      managers.push(m);
    }
    return managers;
  };

  /** An admin certificate issued on `m`'s admin socket, and a client of `to` that uses it. */
  const issue = async (m: Manager, name: string) => {
    const keyPem = await generateNodeKey();
    const issued = await withLocal(m, async (c) =>
      c.issueAdminCertificate(await createCsr(keyPem), { name }),
    );
    const credentials = channelCredentials({
      rootsPem: issued.rootCa,
      keyPem,
      certChainPem: issued.certificateChain,
    });
    const clientOf = (to: Manager): FlotillaClient => {
      const client = new FlotillaClient({ address: to.address, credentials });
      cleanups.push(() => client.close());
      return client;
    };
    return { id: issued.id, clientOf };
  };

  it('revokes one of two admin certificates at every manager, cutting its open watch, while the other works on', async () => {
    const managers = await threeManagers();
    const [a] = managers as [Manager, ...Manager[]];
    const alice = await issue(a, 'alice-laptop');
    const ci = await issue(a, 'ci');
    expect(alice.id).not.toBe(ci.id);
    const aliceAt = managers.map((m) => alice.clientOf(m));
    const ciAt = managers.map((m) => ci.clientOf(m));
    for (const client of [...aliceAt, ...ciAt])
      expect(await client.listServices({}, { linearizable: true })).toEqual([]);

    // Both are recorded, as every manager sees (read through a follower, behind a barrier).
    const follower = managers.findIndex((m) => !m.raft.isLeader());
    const listed = await ciAt[follower]!.listAdminCertificates({ linearizable: true });
    expect(listed.map((c) => [c.id, c.name, c.revokedAt])).toEqual([
      [alice.id, 'alice-laptop', undefined],
      [ci.id, 'ci', undefined],
    ]);
    expect(Date.parse(listed[0]!.expiresAt)).toBeGreaterThan(Date.now() + 80 * 24 * 3600 * 1000);

    // Alice holds a watch open on a follower; it is seen delivering before the revocation.
    const events: string[] = [];
    let watchEnd: { error: unknown } | undefined;
    const watching = (async (): Promise<void> => {
      try {
        for await (const event of aliceAt[follower]!.watch({ kinds: ['service'] }))
          events.push(event.object.id);
        watchEnd = { error: 'none: the watch ended without an error' };
      } catch (error) {
        watchEnd = { error };
      }
    })();
    await waitUntil('the watch to deliver', async () => {
      await ciAt[0]!.createService(serviceSpec(`probe-${events.length}-${Date.now()}`));
      return events.length > 0;
    });

    const { certificate } = await withLocal(a, (c) => c.revokeAdminCertificate('alice-laptop'));
    expect(certificate).toMatchObject({ id: alice.id, name: 'alice-laptop' });
    expect(certificate.revokedAt).toBeDefined();

    const refusal = {
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining(`admin certificate ${alice.id} (alice-laptop) was revoked`) as unknown,
    };
    await waitUntil("the revoked certificate's watch to end", () => watchEnd !== undefined, 5_000);
    await watching;
    expect(watchEnd!.error).toMatchObject(refusal);
    for (const [i, m] of managers.entries()) {
      // A follower refuses as soon as it has applied the revocation.
      await waitUntil(`${m.id} to refuse the revoked certificate`, () =>
        aliceAt[i]!.listServices().then(
          () => false,
          () => true,
        ),
      );
      await expect(aliceAt[i]!.listServices()).rejects.toMatchObject(refusal);
      await expect(aliceAt[i]!.createService(serviceSpec(`by-alice-${i}`))).rejects.toMatchObject(refusal);
      await ciAt[i]!.createService(serviceSpec(`by-ci-${i}`));
    }
    const after = await ciAt[0]!.listAdminCertificates({ linearizable: true });
    expect(after.map((c) => [c.name, c.revokedAt !== undefined])).toEqual([
      ['alice-laptop', true],
      ['ci', false],
    ]);
    // Revoking again changes nothing; an unknown id is NOT_FOUND, naming it.
    await expect(withLocal(a, (c) => c.revokeAdminCertificate(alice.id))).resolves.toMatchObject({
      certificate: { revokedAt: certificate.revokedAt },
    });
    await expect(withLocal(a, (c) => c.revokeAdminCertificate('nosuchcert'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('"nosuchcert"') as unknown,
    });
  });

  it('issues, lists and revokes through `flotilla admin-cert`, with one-line errors for unknown ids and bad names', async () => {
    const m = started(await Manager.init({ dataDir: dirs.dir('a'), listenAddr: addr(1), tuning: FAST }));
    const cli = (...argv: string[]): Promise<CliResult> =>
      runCliCaptured(argv, { FLOTILLA_DATA_DIR: m.dataDir });
    const created = await cli('admin-cert', 'create', '--name', 'alice-laptop', dirs.dir('alice'));
    expect(created.code, created.err).toBe(0);
    const id = created.out.trim();
    expect(id).toMatch(/^[0-9a-z]{25}$/);
    expect((await cli('admin-cert', 'create', dirs.dir('unnamed'))).code).toBe(0);

    expect((await cli('admin-cert', 'ls', '--format', '{{.Name}} {{.Status}}')).out).toBe(
      'alice-laptop Active\n Active\n',
    );
    const table = (await cli('admin-cert', 'ls')).out.split('\n');
    expect(table[0]).toMatch(/^ID +NAME +STATUS +ISSUED +EXPIRES$/);
    expect(table[1]).toMatch(
      new RegExp(`^${id} +alice-laptop +Active +Less than a second ago +in 3 months$`),
    );

    expect(await cli('admin-cert', 'revoke', 'alice-laptop')).toEqual({
      code: 0,
      out: 'alice-laptop\n',
      err: '',
    });
    expect((await cli('admin-cert', 'ls', '--format', '{{.ID}} {{.Status}}')).out).toContain(
      `${id} Revoked\n`,
    );

    expect(await cli('admin-cert', 'revoke', 'nosuchcert')).toEqual({
      code: 1,
      out: '',
      err: 'Error: not found: no admin certificate has the id or name "nosuchcert" (expired ones are forgotten)\n',
    });
    const badName = await cli('admin-cert', 'create', '--name', 'has space', dirs.dir('bad'));
    expect(badName.code).toBe(1);
    expect(badName.err).toMatch(/^Error: invalid name: must be 1 to 64 letters, digits/);
    const noArgs = await cli('admin-cert', 'revoke');
    expect(noArgs.code).toBe(2);
    expect(noArgs.err).toContain('"flotilla admin-cert revoke" requires at least 1 argument');
  });
});
