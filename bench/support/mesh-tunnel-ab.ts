// A/B of the mesh tunnel's transport, in one process over TLS on loopback: the mesh's own framing
// (TunnelSession) against node:http2 CONNECT streams, each carrying client sockets to an echo
// task through real sockets on both ends. Measures a bulk transfer and 32 streams of small
// request/response round trips, as wall time and as CPU time of the process (the steadier figure
// on a shared machine). Run: npx tsc -p tsconfig.json && node dist/bench/support/mesh-tunnel-ab.js

import { connect as h2connect, createSecureServer, type ClientHttp2Session } from 'node:http2';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { createCsr, createRootCA, generateNodeKey, issueNodeCertificate } from '../../src/ca/index.js';
import { adoptAccepted, ReadForwarder } from '../../src/mesh/read-forwarder.js';
import { TunnelSession, type TunnelStream } from '../../src/mesh/tunnel/session.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

const HOST = '127.0.0.250';
const BULK_MIB = Number(process.env.AB_BULK_MIB ?? 256);
const PINGPONG_SECONDS = Number(process.env.AB_SECONDS ?? 5);
const STREAMS = 32;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  return (server.address() as { port: number }).port;
}

/** An entry server: each accepted socket is handed to `onSocket` (the proxy's client side). */
async function entry(onSocket: (s: Socket) => void): Promise<number> {
  return listen(createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, onSocket));
}

interface Transport {
  name: string;
  /** Port clients connect to; each connection goes through the tunnel to the echo task. */
  port: number;
  close(): void;
}

async function tlsMaterial() {
  const ca = await createRootCA();
  const id = async (nodeId: string) => {
    const keyPem = await generateNodeKey();
    const cert = await issueNodeCertificate(ca, await createCsr(keyPem), {
      nodeId,
      role: 'worker',
      clusterId: 'abcluster00000000000000001',
    });
    return { key: keyPem, cert, ca: ca.certPem };
  };
  return { a: await id('a'), b: await id('b') };
}

const request = {
  taskId: 't',
  targetPort: 1,
  protocol: 'tcp' as const,
  proxyProtocol: 'off' as const,
  sourceAddress: HOST,
  sourcePort: 1,
  destinationAddress: HOST,
  destinationPort: 1,
  idleTimeoutMs: 0,
};

async function ownFraming(
  echoPort: number,
  tls: Awaited<ReturnType<typeof tlsMaterial>>,
): Promise<Transport> {
  const settings = {
    clock: systemClock,
    logger: silentLogger,
    streamWindow: 1024 * 1024,
    pingIntervalMs: 60_000,
    deadAfterPings: 3,
  };
  const server = createTlsServer({ ...tls.b, requestCert: true, minVersion: 'TLSv1.3' }, (socket) => {
    new TunnelSession(socket, {
      ...settings,
      side: 'server',
      peerNodeId: 'a',
      onOpen: (stream: TunnelStream) => {
        const reader = new ReadForwarder();
        const task = connect(
          { host: HOST, port: echoPort, allowHalfOpen: true, noDelay: true, onread: reader.onread },
          () => {
            stream.accept();
            stream.attach(task, reader);
          },
        );
        task.on('error', () => {});
      },
    });
  });
  const tunnelPort = await listen(server);
  const socket = tlsConnect({ host: HOST, port: tunnelPort, ...tls.a, checkServerIdentity: () => undefined });
  await new Promise((r) => socket.once('secureConnect', r));
  const session = new TunnelSession(socket, { ...settings, side: 'client', peerNodeId: 'b' });
  const port = await entry((accepted) => {
    const reader = new ReadForwarder();
    const client = adoptAccepted(accepted, reader);
    client.setNoDelay(true);
    const stream = session.open(request);
    stream.opened.then(
      () => stream.attach(client, reader),
      () => client.destroy(),
    );
  });
  return { name: 'own framing', port, close: () => session.destroy() };
}

async function http2Streams(
  echoPort: number,
  tls: Awaited<ReturnType<typeof tlsMaterial>>,
): Promise<Transport> {
  const server = createSecureServer({
    ...tls.b,
    requestCert: true,
    minVersion: 'TLSv1.3',
    settings: { initialWindowSize: 1024 * 1024 },
  });
  server.on('stream', (stream) => {
    const task = connect({ host: HOST, port: echoPort, allowHalfOpen: true, noDelay: true }, () => {
      stream.respond({ ':status': 200 });
      stream.pipe(task);
      task.pipe(stream);
    });
    task.on('error', () => stream.destroy());
    stream.on('error', () => task.destroy());
  });
  const tunnelPort = await listen(server);
  const session: ClientHttp2Session = h2connect(`https://${HOST}:${tunnelPort}`, {
    ...tls.a,
    checkServerIdentity: () => undefined,
    settings: { initialWindowSize: 1024 * 1024 },
  });
  session.on('error', () => {});
  await new Promise((r) => session.once('connect', r));
  const port = await entry((client) => {
    client.setNoDelay(true);
    const stream = session.request({ ':method': 'CONNECT', ':authority': 'task:1' });
    stream.on('response', () => {
      client.pipe(stream);
      stream.pipe(client);
      client.resume();
    });
    stream.on('error', () => client.destroy());
    client.on('error', () => stream.destroy());
  });
  return { name: 'http2 CONNECT', port, close: () => session.destroy() };
}

async function bulk(port: number): Promise<{ mibPerS: number; cpuMsPerMib: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const chunk = Buffer.alloc(64 * 1024, 1);
  const total = BULK_MIB * 16;
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host: HOST, port, allowHalfOpen: true });
    let received = 0;
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= total * chunk.length) {
        s.destroy();
        resolve();
      }
    });
    s.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent++;
        if (!s.write(chunk)) {
          s.once('drain', pump);
          return;
        }
      }
    };
    s.once('connect', pump);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { mibPerS: BULK_MIB / seconds, cpuMsPerMib: (cpu.user + cpu.system) / 1000 / BULK_MIB };
}

async function pingPong(port: number): Promise<{ roundTripsPerS: number; cpuUsPerRoundTrip: number }> {
  const sockets = await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      const s = connect({ host: HOST, port, noDelay: true });
      await new Promise((r) => s.once('connect', r));
      return s;
    }),
  );
  const message = Buffer.alloc(100, 2);
  let roundTrips = 0;
  const deadline = Date.now() + PINGPONG_SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          let got = 0;
          s.on('data', (d: Buffer) => {
            got += d.length;
            if (got < message.length) return;
            got -= message.length;
            roundTrips++;
            if (Date.now() >= deadline) return resolve();
            s.write(message);
          });
          s.write(message);
        }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  for (const s of sockets) s.destroy();
  return { roundTripsPerS: roundTrips / seconds, cpuUsPerRoundTrip: (cpu.user + cpu.system) / roundTrips };
}

async function main(): Promise<void> {
  const echo = createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  const echoPort = await listen(echo);
  const tls = await tlsMaterial();
  const transports = [await ownFraming(echoPort, tls), await http2Streams(echoPort, tls)];
  for (const t of transports) await bulk(t.port); // warm up
  for (let round = 1; round <= 2; round++) {
    for (const t of transports) {
      const b = await bulk(t.port);
      const p = await pingPong(t.port);
      console.log(
        `${t.name.padEnd(14)} bulk ${b.mibPerS.toFixed(0).padStart(5)} MiB/s ${b.cpuMsPerMib.toFixed(2)} ms CPU/MiB | ` +
          `${STREAMS} streams ${p.roundTripsPerS.toFixed(0).padStart(6)} round trips/s ${p.cpuUsPerRoundTrip.toFixed(1)} µs CPU each`,
      );
    }
  }
  for (const t of transports) t.close();
  echo.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
