// A small keep-alive HTTP server for bench:mesh, run as its own process: answers every request
// with a short body naming itself. Usage: node mesh-http-backend.js <host> <port> <name>

import { createServer } from 'node:http';

const [host = '127.0.0.1', portText = '0', name = 'backend'] = process.argv.slice(2);
const body = Buffer.from(`hello from ${name}\n`);
const server = createServer({ keepAlive: true }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portText), host, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
