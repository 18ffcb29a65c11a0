// A counting pass-through for the Docker Engine's unix socket: a client pointed at it talks to the
// engine as usual, and every HTTP request line it sends is tallied by method and path shape. Used
// only in the converge bench's diagnostic pass (it adds a hop, so never in the timed runs) to show
// how many engine calls a system makes per container.

import { createConnection, createServer, type Server, type Socket } from 'node:net';

const REQUEST_LINE = /(?:^|\n)(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.[01]\r?$/gm;

/** `/v1.41/containers/3f2a…/start?x=1` → `POST /containers/{id}/start`. */
export function callShape(method: string, path: string): string {
  const bare = path.split('?')[0]!.replace(/^\/v\d+\.\d+/, '');
  const parts = bare.split('/');
  // containers/<id or name>[/<verb>], images/<name>/json: what follows the collection is an
  // argument (an image name may hold slashes), except create and json (the list).
  if ((parts[1] === 'containers' || parts[1] === 'images') && parts.length >= 3) {
    if (parts[2] === 'create' || parts[2] === 'json') return `${method} ${parts.join('/')}`;
    const verb = parts.length >= 4 ? parts[parts.length - 1] : undefined;
    return `${method} /${parts[1]}/{id}${verb === undefined ? '' : `/${verb}`}`;
  }
  return `${method} ${parts.join('/')}`;
}

export class EngineProxy {
  readonly calls = new Map<string, number>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly socketPath: string,
    private readonly server: Server,
  ) {}

  static async listen(socketPath: string, enginePath: string): Promise<EngineProxy> {
    const server = createServer();
    const proxy = new EngineProxy(socketPath, server);
    server.on('connection', (client) => proxy.relay(client, enginePath));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    return proxy;
  }

  reset(): void {
    this.calls.clear();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, enginePath: string): void {
    const engine = createConnection(enginePath);
    this.sockets.add(client);
    this.sockets.add(engine);
    client.on('data', (chunk: Buffer) => {
      for (const m of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
        const shape = callShape(m[1]!, m[2]!);
        this.calls.set(shape, (this.calls.get(shape) ?? 0) + 1);
      }
    });
    client.pipe(engine);
    engine.pipe(client);
    const end = (): void => {
      client.destroy();
      engine.destroy();
      this.sockets.delete(client);
      this.sockets.delete(engine);
    };
    client.on('error', end);
    engine.on('error', end);
    client.on('close', end);
    engine.on('close', end);
  }
}
