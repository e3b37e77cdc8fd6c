// The clients against real servers in this process: node:http for SSE and Streamable HTTP (real
// fetch streaming), the ws package for WebSocket (the constructor Node 20 users inject).
import { once } from "node:events";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { SseClient, type SseMessage, StreamableClient, type WebSocketConstructor, WsClient } from "../src/index.js";

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<Server> {
  const server = createServer(handler);
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return server;
}

const portOf = (s: Server | WebSocketServer) => (s.address() as AddressInfo).port;

/** Resolves when `predicate` holds, checking on every event the caller reports through `poke`. */
function until(predicate: () => boolean, what: string, timeoutMs = 15_000): { done: Promise<void>; poke: () => void } {
  let resolve!: () => void;
  const done = new Promise<void>((r, reject) => {
    resolve = r;
    setTimeout(() => reject(new Error("timed out waiting for " + what)), timeoutMs).unref();
  });
  const poke = () => {
    if (predicate()) resolve();
  };
  return { done, poke };
}

describe("against real servers", () => {
  it("SseClient resumes after a dropped stream without loss or duplicates", async () => {
    const seenLastIds: (string | undefined)[] = [];
    let next = 1;
    const server = await listen((req, res) => {
      const last = req.headers["last-event-id"] as string | undefined;
      seenLastIds.push(last);
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      const from = last ? Number(last) + 1 : 1;
      let out = "retry: 20\n\n";
      // each connection delivers 3 events, then the server ends it in the middle of a 4th, whose id must not count
      for (let i = from; i < from + 3; i++) out += `id: ${i}\r\nevent: tick\r\ndata: {"n":${i}}\r\n\r\n`;
      out += `id: ${from + 3}\ndata: never dispatched`;
      next = from + 3;
      res.write(out.slice(0, 10));
      setTimeout(() => res.end(out.slice(10)), 5); // the end of the stream: the client reconnects
    });
    const ticks: number[] = [];
    const client = new SseClient(`http://127.0.0.1:${portOf(server)}/events`);
    closers.push(() => client.close());
    const wait = until(() => ticks.length >= 9, "9 ticks");
    client.onEvent("tick", (m: SseMessage) => {
      ticks.push(JSON.parse(m.data).n);
      wait.poke();
    });
    client.connect();
    await wait.done;
    client.close();
    expect(ticks.slice(0, 9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seenLastIds.slice(0, 3)).toEqual([undefined, "3", "6"]);
    expect(next).toBeGreaterThan(9);
  });

  it("SseClient stops when the server answers 204", async () => {
    let requests = 0;
    const server = await listen((_req, res) => {
      requests++;
      res.writeHead(204).end();
    });
    const client = new SseClient(`http://127.0.0.1:${portOf(server)}/events`, { reconnect: { initialDelay: 1 } });
    const closed = new Promise<string>((r) => client.on("close", (e) => r(e.reason)));
    client.connect();
    expect(await closed).toMatch(/204/);
    expect(requests).toBe(1);
  });

  it("StreamableClient reads JSON or an event stream as the server chooses", async () => {
    const server = await listen((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const msg = JSON.parse(body);
        if (req.headers.accept !== "application/json, text/event-stream") {
          res.writeHead(406).end("bad accept " + req.headers.accept);
        } else if (msg.stream) {
          res.writeHead(200, { "Content-Type": "text/event-stream" });
          res.write('data: {"progress":1}\n\n');
          setTimeout(() => res.end('event: result\ndata: {"ok":true}\n\n'), 5);
        } else {
          res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ echo: msg }));
        }
      });
    });
    const client = new StreamableClient();
    const url = `http://127.0.0.1:${portOf(server)}/rpc`;
    const json = await client.post(url, { a: 1 });
    expect(json).toMatchObject({ kind: "json", body: { echo: { a: 1 } } });
    const streamed = await client.post(url, { stream: true });
    if (streamed.kind !== "events") throw new Error("expected events, got " + streamed.kind);
    const got: string[] = [];
    for await (const ev of streamed.events) got.push(ev.event + " " + ev.data);
    expect(got).toEqual(['message {"progress":1}', 'result {"ok":true}']);
  });

  it("WsClient with the ws package: auto-pong, queue across a server restart, reconnect", async () => {
    const pongs: unknown[] = [];
    const received: string[] = [];
    const start = async (port: number) => {
      const wss = new WebSocketServer({ port, host: "127.0.0.1" });
      await once(wss, "listening");
      wss.on("connection", (socket) => {
        socket.send(JSON.stringify({ type: "ping", pingId: 1, connId: "c1", name: "Test" }));
        socket.on("message", (data) => {
          const msg = JSON.parse(String(data));
          if (msg.type === "pong") pongs.push(msg);
          else {
            received.push(msg.text);
            socket.send(JSON.stringify({ echo: msg.text }));
          }
        });
      });
      return wss;
    };
    let wss = await start(0);
    const port = portOf(wss);
    const echoes: string[] = [];
    const reconnects: boolean[] = [];
    const client = new WsClient<{ echo: string }, { text: string }>(`ws://127.0.0.1:${port}/`, {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      reconnect: { initialDelay: 50, maxDelay: 200 },
    });
    closers.push(() => client.close());
    const echoed = (n: number) => {
      const w = until(() => echoes.length >= n, n + " echoes");
      const off = client.on("message", () => w.poke());
      w.poke(); // it may have happened already
      return w.done.finally(off);
    };
    client.on("message", (m) => echoes.push(m.echo));
    client.on("open", (e) => reconnects.push(e.reconnect));
    await client.connect();
    client.send({ text: "one" });
    await echoed(1);
    // restart the server on the same port; the client sees the drop and comes back
    const down = new Promise((r) => client.on("reconnecting", r));
    for (const s of wss.clients) s.terminate();
    await new Promise((r) => wss.close(r));
    await down;
    client.send({ text: "queued while down" });
    wss = await start(port);
    const w2 = wss;
    closers.push(
      () =>
        new Promise<void>((r) => {
          for (const s of w2.clients) s.terminate();
          w2.close(() => r());
        }),
    );
    await echoed(2);
    expect(echoes).toEqual(["one", "queued while down"]);
    expect(reconnects).toEqual([false, true]);
    expect(pongs).toEqual([{ type: "pong", pingId: 1 }, { type: "pong", pingId: 1 }]);
  });
});
