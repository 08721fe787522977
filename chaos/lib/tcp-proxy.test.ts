import net from 'node:net';
import { FaultProxy } from './tcp-proxy';

/** An echo server as the upstream, and a client helper that collects what comes back. */
let echo: net.Server;
let echoPort: number;
let proxy: FaultProxy;
const clients: net.Socket[] = [];

beforeEach(async () => {
  // Resets reach the echo server's sockets too: expected here, so not an unhandled error.
  echo = net.createServer((s) => s.on('error', () => undefined).pipe(s));
  echoPort = await new Promise<number>((resolve) => echo.listen(0, '127.0.0.1', () => resolve((echo.address() as net.AddressInfo).port)));
  proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

interface Conn {
  socket: net.Socket;
  received: () => string;
  ended: Promise<string>;
}

function connect(): Promise<Conn> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
    clients.push(socket);
    const ended = new Promise<string>((done) => {
      socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'error'));
      socket.on('close', () => done('closed'));
    });
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.once('connect', () => resolve({ socket, received: () => data, ended }));
    socket.once('error', reject);
  });
}

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const quietFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FaultProxy', () => {
  it('forwards both ways in pass mode', async () => {
    const c = await connect();
    c.socket.write('ping');
    await until(() => c.received() === 'ping');
    expect(proxy.connections).toBe(1);
  });

  it('hang: holds open and new connections without forwarding, then delivers what waited when passing again', async () => {
    const open = await connect();
    await proxy.setMode('hang');
    const fresh = await connect(); // accepted, as a hung host would
    open.socket.write('a');
    fresh.socket.write('b');
    await quietFor(200);
    expect([open.received(), fresh.received()]).toEqual(['', '']);
    await proxy.setMode('pass');
    await until(() => open.received() === 'a' && fresh.received() === 'b');
  });

  it('refuse: open connections are reset, new ones refused; pass listens again on the same port', async () => {
    const open = await connect();
    const port = proxy.port;
    await proxy.setMode('refuse');
    expect(['ECONNRESET', 'closed']).toContain(await open.ended);
    await expect(connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.setMode('pass');
    expect(proxy.port).toBe(port);
    const again = await connect();
    again.socket.write('back');
    await until(() => again.received() === 'back');
  });

  it('dropAll resets every open connection and keeps passing new ones', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await until(() => proxy.connections === 2);
    expect(proxy.dropAll()).toBe(2);
    expect(['ECONNRESET', 'closed']).toContain(await a.ended);
    expect(['ECONNRESET', 'closed']).toContain(await b.ended);
    const c = await connect();
    c.socket.write('x');
    await until(() => c.received() === 'x');
  });
});
