// The Node `ws` peer of the ServiceKit benchmark suite: the same endpoints and control protocol as
// the Java servers under test (see io.servicekit.bench.server.ServerControl).
//   /echo, /json  every message is sent back as it came (text stays text)
//   /broadcast    every message is sent to all open connections of the endpoint, except the fill
//                 request (see below)
//   /sse          (plain node:http, no library) a text/event-stream response kept open; on stdin
//                 "publish <text>" frames "data: <text>\n\n" once and writes it to every stream
// Prints "PORT n" once listening; on stdin "mem" runs a full GC (node --expose-gc) and prints
// "HEAP <bytes used>"; "quit" or the end of stdin stops the process.
import http from 'node:http';
import readline from 'node:readline';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 0);
const echo = new WebSocketServer({ noServer: true });
const broadcast = new WebSocketServer({ noServer: true });

echo.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

// See ServerControl.FILL_REQUEST: 8 MiB to the sender alone, to stall a peer that never reads.
const FILL_REQUEST = '{"type":"fill"}';
const FILL_CHUNK = 'x'.repeat(64 * 1024);

broadcast.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.length === FILL_REQUEST.length && data.toString() === FILL_REQUEST) {
      for (let i = 0; i < 128; i++) ws.send(FILL_CHUNK);
      return;
    }
    for (const client of broadcast.clients) {
      client.send(data, { binary: isBinary });
    }
  });
});

const streams = new Set();
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && new URL(req.url, 'http://localhost').pathname === '/sse') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    streams.add(res);
    res.on('close', () => streams.delete(res));
    return;
  }
  res.writeHead(404).end();
});
// Streams stay open for minutes without traffic (no keepalives here).
server.timeout = 0;
server.keepAliveTimeout = 10 * 60 * 1000;

const publish = (text) => {
  const framed = Buffer.from(`data: ${text}\n\n`);
  for (const res of streams) res.write(framed);
};
server.on('upgrade', (req, socket, head) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  const wss = path === '/broadcast' ? broadcast : path === '/echo' || path === '/json' ? echo : null;
  if (wss === null) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

server.listen(port, '127.0.0.1', () => {
  console.log(`PORT ${server.address().port}`);
});

const stop = () => {
  for (const ws of [...echo.clients, ...broadcast.clients]) ws.terminate();
  for (const res of streams) res.destroy();
  server.close();
  process.exit(0);
};
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.startsWith('publish ')) {
    publish(line.substring(8));
    return;
  }
  const cmd = line.trim();
  if (cmd === 'mem') {
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      globalThis.gc();
    }
    console.log(`HEAP ${process.memoryUsage().heapUsed}`);
  } else if (cmd === 'quit') {
    stop();
  } else {
    console.log(`ERROR unknown command: ${line}`);
  }
});
rl.on('close', stop);
