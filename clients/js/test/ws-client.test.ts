import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  BinaryCodec,
  NotConnectedError,
  RETRYABLE_CLOSE_CODES,
  RawCodec,
  SendQueueFullError,
  type WebSocketConstructor,
  WsClient,
  type WsClientOptions,
  backoffDelay,
  createMockWSPair,
  resolveBackoff,
} from "../src/index.js";

function setup<I = unknown, O = unknown>(options: WsClientOptions<I, O> = {}) {
  const { WebSocket, controller } = createMockWSPair();
  const client = new WsClient<I, O>("ws://test/ws", { WebSocket, ...options });
  const messages: I[] = [];
  const errors: Error[] = [];
  client.on("message", (m) => messages.push(m));
  client.on("error", (e) => errors.push(e));
  return { client, controller, messages, errors };
}

describe("WsClient dispatch", () => {
  it("decodes JSON messages and sends JSON", async () => {
    const { client, controller, messages } = setup();
    const opened = client.connect();
    controller.simulateOpen();
    await opened;
    expect(controller.socket.url).toBe("ws://test/ws");
    expect(controller.socket.binaryType).toBe("arraybuffer");
    controller.simulateMessage({ type: "chat", text: "hi" });
    controller.simulateRawMessage("[1,2]");
    expect(messages).toEqual([{ type: "chat", text: "hi" }, [1, 2]]);
    client.send({ type: "hello" });
    expect(controller.sentRaw).toEqual(['{"type":"hello"}']);
  });

  it("answers server pings with a pong and does not pass them on", async () => {
    const { client, controller, messages } = setup();
    const pings: (number | undefined)[] = [];
    client.on("ping", (p) => pings.push(p.pingId));
    void client.connect();
    controller.simulateOpen();
    controller.simulateRawMessage('{"connId":"k3j9x0a1bz","name":"ChatConn","pingId":7,"type":"ping"}');
    expect(controller.sentRaw).toEqual(['{"type":"pong","pingId":7}']);
    expect(pings).toEqual([7]);
    expect(messages).toEqual([]);
  });

  it("passes pings to the app only when asked, and pongs only when autoPong", async () => {
    const { client, controller, messages } = setup({ deliverPings: true, autoPong: false });
    void client.connect();
    controller.simulateOpen();
    controller.simulateMessage({ type: "ping", pingId: 3 });
    expect(controller.sentRaw).toEqual([]);
    expect(messages).toEqual([{ type: "ping", pingId: 3 }]);
  });

  it("does not pong a ping without a pingId", () => {
    const { client, controller, messages } = setup();
    void client.connect();
    controller.simulateOpen();
    controller.simulateMessage({ type: "ping" });
    expect(controller.sentRaw).toEqual([]);
    expect(messages).toEqual([]);
  });

  it("reports a frame the codec cannot decode as an error and stays open", () => {
    const { client, controller, messages, errors } = setup();
    void client.connect();
    controller.simulateOpen();
    controller.simulateRawMessage("not json");
    expect(messages).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/cannot decode a text frame with the json codec \("not json"\)/);
    expect(client.state).toBe("open");
    controller.simulateMessage({ ok: true });
    expect(messages).toEqual([{ ok: true }]);
  });

  it("raw codec: text stays text, binary stays bytes, pings are still answered", () => {
    const { client, controller, messages } = setup<string | ArrayBuffer, string | ArrayBuffer | Uint8Array>({ codec: new RawCodec() });
    void client.connect();
    controller.simulateOpen();
    controller.simulateRawMessage("plain text");
    controller.simulateRawMessage('{"a":1}');
    controller.simulateRawMessage(new Uint8Array([1, 2, 3]).buffer);
    controller.simulateRawMessage('{"type":"ping","pingId":1}');
    expect(messages[0]).toBe("plain text");
    expect(messages[1]).toBe('{"a":1}');
    expect(new Uint8Array(messages[2] as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    expect(messages).toHaveLength(3);
    client.send(new Uint8Array([9]));
    expect(controller.sentRaw).toEqual(['{"type":"pong","pingId":1}', new Uint8Array([9])]);
  });

  it("binary codec: decodes bytes, rejects text frames, encodes a tight copy", () => {
    const codec = new BinaryCodec<number[], number[]>(
      (b) => [...b],
      (m) => new Uint8Array(new Uint8Array([0, ...m, 0]).buffer, 1, m.length),
    );
    const { client, controller, messages, errors } = setup<number[], number[]>({ codec });
    void client.connect();
    controller.simulateOpen();
    controller.simulateRawMessage(new Uint8Array([4, 5]).buffer);
    controller.simulateRawMessage("text");
    expect(messages).toEqual([[4, 5]]);
    expect(errors[0]!.message).toMatch(/BinaryCodec received a text frame/);
    client.send([7, 8]);
    const sent = controller.sentRaw[0] as ArrayBuffer;
    expect(sent.byteLength).toBe(2);
    expect([...new Uint8Array(sent)]).toEqual([7, 8]);
  });

  it("needs a WebSocket constructor when the runtime has none", () => {
    vi.stubGlobal("WebSocket", undefined);
    try {
      expect(() => new WsClient("ws://x")).toThrow(/no WebSocket available.*ws/);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("rejects bad options with the rule and the value", () => {
    const { WebSocket } = createMockWSPair();
    expect(() => new WsClient("ws://x", { WebSocket, maxQueue: -1 })).toThrow("maxQueue must be an integer >= 0, got -1");
    expect(() => new WsClient("ws://x", { WebSocket, pingInterval: -5 })).toThrow("pingInterval must be a finite number of ms >= 0, got -5");
    expect(() => new WsClient("ws://x", { WebSocket, reconnect: { initialDelay: 10, maxDelay: 5 } })).toThrow(/maxDelay must be finite and >= initialDelay \(10\), got 5/);
  });
});

describe("WsClient reconnection", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("backs off exponentially with full jitter, capped, and resets after a successful open", () => {
    const { client, controller } = setup({ reconnect: { initialDelay: 100, maxDelay: 1000, random: () => 0.5 } });
    const delays: number[] = [];
    client.on("reconnecting", (e) => delays.push(e.delay));
    void client.connect();
    for (let i = 0; i < 6; i++) {
      controller.simulateClose(1006);
      vi.advanceTimersByTime(delays[delays.length - 1]!);
    }
    // bounds 100, 200, 400, 800, 1000, 1000 — half of each
    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
    expect(controller.sockets).toHaveLength(7);
    controller.simulateOpen();
    controller.simulateClose(1001);
    expect(delays[delays.length - 1]).toBe(50); // reset after the open
  });

  it("does not reconnect before the delay has passed", () => {
    const { client, controller } = setup({ reconnect: { initialDelay: 1000, random: () => 0.999 } });
    void client.connect();
    controller.simulateOpen();
    controller.simulateClose(1006);
    expect(client.state).toBe("reconnecting");
    vi.advanceTimersByTime(998);
    expect(controller.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(controller.sockets).toHaveLength(2);
  });

  it("jitter stays within [0, bound)", () => {
    let r = 0;
    const randoms = [0, 0.25, 0.9999];
    const { client, controller } = setup({ reconnect: { initialDelay: 400, random: () => randoms[r++ % 3]! } });
    const delays: number[] = [];
    client.on("reconnecting", (e) => delays.push(e.delay));
    void client.connect();
    for (let i = 0; i < 3; i++) {
      controller.simulateClose(1006);
      vi.runOnlyPendingTimers();
    }
    expect(delays).toEqual([0, 200, 1599]);
  });

  it("stops on close() and cancels a pending retry", async () => {
    const { client, controller } = setup({ reconnect: { initialDelay: 100 } });
    const closes: unknown[] = [];
    client.on("close", (e) => closes.push(e));
    const opened = client.connect();
    controller.simulateClose(1006);
    expect(client.state).toBe("reconnecting");
    client.close();
    await expect(opened).rejects.toBeInstanceOf(NotConnectedError);
    vi.advanceTimersByTime(60_000);
    expect(controller.sockets).toHaveLength(1);
    expect(client.state).toBe("closed");
    expect(closes).toHaveLength(2);
    expect(closes[1]).toMatchObject({ willReconnect: false, code: 1000 });
  });

  it("a deliberate close of an open socket does not reconnect; its close event waits for the server's answer", () => {
    const { client, controller } = setup();
    const closes: unknown[] = [];
    client.on("close", (e) => closes.push(e));
    void client.connect();
    controller.simulateOpen();
    client.send("last words");
    client.close(1000, "bye");
    expect(client.state).toBe("closed");
    expect(controller.socket.sent).toEqual(["\"last words\""]); // sent before the close frame
    expect(controller.socket.closedWith).toEqual({ code: 1000, reason: "bye" });
    expect(() => client.send("x")).toThrow(NotConnectedError);
    expect(closes).toEqual([]);
    controller.simulateClose(1000, ""); // the server's answer: now the close event, with the client's code and reason
    expect(closes).toEqual([{ code: 1000, reason: "bye", wasClean: true, willReconnect: false, dropped: 0 }]);
    vi.advanceTimersByTime(60_000);
    expect(controller.sockets).toHaveLength(1);
    expect(closes).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("close() of an open socket the server never answers reports after closeTimeout; connect() reports it first", () => {
    const { client, controller } = setup({ closeTimeout: 2000 });
    const log: string[] = [];
    client.on("close", (e) => log.push(`close ${e.code} clean=${e.wasClean}`));
    client.on("open", () => log.push("open"));
    void client.connect();
    controller.simulateOpen();
    client.close();
    vi.advanceTimersByTime(1999);
    expect(log).toEqual(["open"]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(["open", "close 1000 clean=false"]);
    controller.simulateClose(1000); // too late: ignored
    expect(log).toHaveLength(2);

    void client.connect();
    controller.simulateOpen();
    client.close(4000, "switching rooms");
    void client.connect(); // before the server answered: the close is reported first
    expect(log).toEqual(["open", "close 1000 clean=false", "open", "close 4000 clean=false"]);
    expect(controller.sockets).toHaveLength(3);
  });

  it("stops on a policy-violation close (1008) and other non-retryable codes", async () => {
    for (const code of [1008, 1003, 1007]) {
      const { client, controller } = setup();
      const closes: { willReconnect: boolean }[] = [];
      client.on("close", (e) => closes.push(e));
      const opened = client.connect();
      controller.simulateOpen();
      await opened;
      controller.simulateClose(code, "origin not allowed");
      vi.advanceTimersByTime(60_000);
      expect(controller.sockets).toHaveLength(1);
      expect(client.state).toBe("closed");
      expect(closes).toEqual([expect.objectContaining({ code, willReconnect: false })]);
    }
  });

  it("retries 1001 going away and 1012 restart; 4xxx only when opted in per code", () => {
    const { client, controller } = setup({ retryableCloseCodes: [...RETRYABLE_CLOSE_CODES, 4000], reconnect: { initialDelay: 10 } });
    void client.connect();
    controller.simulateOpen();
    controller.simulateClose(1001);
    vi.advanceTimersByTime(10);
    controller.simulateOpen();
    controller.simulateClose(1012);
    vi.advanceTimersByTime(10);
    expect(controller.sockets).toHaveLength(3);
    controller.simulateOpen();
    controller.simulateClose(4000); // opted in
    vi.advanceTimersByTime(10);
    expect(controller.sockets).toHaveLength(4);
    controller.simulateOpen();
    controller.simulateClose(4401); // not opted in
    vi.advanceTimersByTime(1000);
    expect(controller.sockets).toHaveLength(4);
    expect(client.state).toBe("closed");
  });

  it("ends on a server's 1000 and on application codes 3000-4999 by default (the contract)", async () => {
    for (const code of [1000, 3000, 4000, 4999]) {
      const { client, controller } = setup({ reconnect: { initialDelay: 10 } });
      const closes: { code: number; willReconnect: boolean }[] = [];
      client.on("close", (e) => closes.push(e));
      const opened = client.connect();
      controller.simulateOpen();
      await opened;
      controller.simulateClose(code, "done");
      vi.advanceTimersByTime(60_000);
      expect(controller.sockets).toHaveLength(1);
      expect(client.state).toBe("closed");
      expect(closes).toEqual([expect.objectContaining({ code, willReconnect: false })]);
    }
  });

  it("gives up after maxAttempts and rejects connect()", async () => {
    const { client, controller } = setup({ reconnect: { initialDelay: 10, maxAttempts: 2 } });
    const opened = client.connect();
    controller.simulateError();
    controller.simulateClose(1006);
    vi.advanceTimersByTime(10);
    controller.simulateClose(1006);
    vi.advanceTimersByTime(20);
    controller.simulateClose(1006);
    await expect(opened).rejects.toThrow(/gave up after 2 reconnection attempts/);
    expect(controller.sockets).toHaveLength(3);
  });

  it("with reconnect off, the first failure rejects connect()", async () => {
    const { client, controller } = setup({ reconnect: false });
    const opened = client.connect();
    controller.simulateClose(1006);
    await expect(opened).rejects.toThrow(/reconnect is off/);
  });

  it("abandons an attempt that does not open within connectTimeout and retries", async () => {
    const { client, controller, errors } = setup({ connectTimeout: 5000, reconnect: { initialDelay: 100, random: () => 0.5 } });
    const closes: { code: number; reason: string; willReconnect: boolean }[] = [];
    client.on("close", (e) => closes.push(e));
    const opened = client.connect();
    vi.advanceTimersByTime(4999);
    expect(client.state).toBe("connecting");
    vi.advanceTimersByTime(1);
    expect(errors.map((e) => e.message)).toEqual(["the WebSocket did not open within 5000 ms (connectTimeout): giving up on this attempt"]);
    expect(controller.socket.closedWith).toEqual({ code: undefined, reason: undefined });
    expect(closes).toEqual([expect.objectContaining({ code: 1006, reason: "connect timeout", willReconnect: true })]);
    controller.simulateOpen(); // the abandoned socket opens late: ignored
    expect(client.state).toBe("reconnecting");
    vi.advanceTimersByTime(50);
    expect(controller.sockets).toHaveLength(2);
    controller.simulateOpen();
    await opened;
    vi.advanceTimersByTime(60_000); // an open socket is not timed out
    expect(client.state).toBe("open");
  });

  it("close() from an error listener on a connect timeout does not reconnect (regression)", () => {
    // found by reconnect.properties.test.ts: the timeout went on to schedule a retry after close()
    const { client, controller } = setup({ connectTimeout: 200, reconnect: { initialDelay: 10 } });
    const closes: { willReconnect: boolean }[] = [];
    client.on("error", () => client.close());
    client.on("close", (e) => closes.push(e));
    client.connect().catch(() => {});
    vi.advanceTimersByTime(200);
    vi.advanceTimersByTime(60_000);
    expect(client.state).toBe("closed");
    expect(controller.sockets).toHaveLength(1);
    expect(closes).toEqual([expect.objectContaining({ willReconnect: false, code: 1000 })]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("initialDelay 0 gives delay 0 on every attempt, even past factor^n overflow (regression)", () => {
    // found by reconnect.properties.test.ts: 0 × Infinity made the delay NaN after ~1000 attempts
    const options = resolveBackoff({ initialDelay: 0, maxDelay: 1000, random: () => 0.5 });
    expect([1, 2, 1025, 5001].map((n) => backoffDelay(n, options))).toEqual([0, 0, 0, 0]);
    expect(backoffDelay(5000, resolveBackoff({ initialDelay: 10, maxDelay: 1000, random: () => 0.5 }))).toBe(500);
  });

  it("close() from an error listener when the WebSocket cannot be created gives one close event (regression)", () => {
    // found while writing the properties: the failed attempt reported a second close after close()'s own
    const Failing = class {
      constructor() {
        throw new SyntaxError("bad URL");
      }
    } as unknown as WebSocketConstructor;
    const client = new WsClient("not a url", { WebSocket: Failing });
    const closes: { code: number; willReconnect: boolean }[] = [];
    client.on("error", () => client.close());
    client.on("close", (e) => closes.push(e));
    client.connect().catch(() => {});
    expect(closes).toEqual([expect.objectContaining({ code: 1000, willReconnect: false })]);
    expect(client.state).toBe("closed");
  });

  it("asks the URL function again for each attempt", () => {
    const { WebSocket, controller } = createMockWSPair();
    let n = 0;
    const client = new WsClient(() => "ws://test/" + ++n, { WebSocket, reconnect: { initialDelay: 1 } });
    void client.connect();
    controller.simulateClose(1006);
    vi.advanceTimersByTime(1);
    expect(controller.sockets.map((s) => s.url)).toEqual(["ws://test/1", "ws://test/2"]);
  });
});

describe("WsClient send queue", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("queues while reconnecting and flushes in order before the open event", () => {
    const { client, controller } = setup({ reconnect: { initialDelay: 10 } });
    void client.connect();
    controller.simulateOpen();
    controller.simulateClose(1006);
    client.send({ n: 1 });
    client.send({ n: 2 });
    expect(client.queued).toBe(2);
    let sentAtOpen: unknown[] = [];
    client.on("open", (e) => {
      expect(e.reconnect).toBe(true);
      sentAtOpen = [...controller.sentRaw];
      client.send({ n: 3 });
    });
    vi.advanceTimersByTime(10);
    controller.simulateOpen();
    expect(sentAtOpen).toEqual(['{"n":1}', '{"n":2}']);
    expect(controller.sentRaw).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(client.queued).toBe(0);
  });

  it("is bounded: overflow throws a clear error and keeps what was queued", () => {
    const { client, controller } = setup({ maxQueue: 2 });
    void client.connect();
    client.send("a");
    client.send("b");
    expect(() => client.send("c")).toThrow(SendQueueFullError);
    expect(() => client.send("c")).toThrow(/send queue is full: 2 messages already wait .*maxQueue=2/);
    controller.simulateOpen();
    expect(controller.sentRaw).toEqual(['"a"', '"b"']);
  });

  it("messages sent before connect() go out at the first open; close() before connect() drops them", () => {
    const a = setup();
    a.client.send("early");
    void a.client.connect();
    a.controller.simulateOpen();
    expect(a.controller.sentRaw).toEqual(['"early"']);
    const b = setup();
    b.client.send("early");
    b.client.close();
    expect(b.client.queued).toBe(0);
    expect(() => b.client.send("late")).toThrow(NotConnectedError);
    void b.client.connect();
    b.controller.simulateOpen();
    expect(b.controller.sentRaw).toEqual([]);
  });

  it("maxQueue 0 throws while not open", () => {
    const { client } = setup({ maxQueue: 0 });
    void client.connect();
    expect(() => client.send("a")).toThrow(/not open, and maxQueue is 0/);
  });

  it("close() drops the queue and says how much", () => {
    const { client, controller } = setup();
    const closes: { dropped: number }[] = [];
    client.on("close", (e) => closes.push(e));
    client.connect().catch(() => {});
    client.send("a");
    client.send("b");
    client.close();
    expect(closes).toEqual([expect.objectContaining({ dropped: 2, willReconnect: false })]);
    expect(controller.sockets[0]!.sent).toEqual([]);
  });
});

describe("WsClient client pings", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("pings every interval; a matching pong is consumed", () => {
    const { client, controller, messages } = setup({ pingInterval: 1000 });
    const pongs: number[] = [];
    client.on("pong", (p) => pongs.push(p.pingId));
    void client.connect();
    controller.simulateOpen();
    vi.advanceTimersByTime(2000);
    const sent = controller.sent as { type: string; pingId: number }[];
    expect(sent.map((m) => [m.type, m.pingId])).toEqual([["ping", 1], ["ping", 2]]);
    controller.simulateMessage({ type: "pong", pingId: 2, timestamp: 1 });
    controller.simulateMessage({ type: "pong", pingId: 99 }); // not ours: the app's
    expect(pongs).toEqual([2]);
    expect(messages).toEqual([{ type: "pong", pingId: 99 }]);
  });

  it("drops and reconnects when a pong does not come in time", () => {
    const { client, controller, errors } = setup({ pingInterval: 1000, pongTimeout: 500, reconnect: { initialDelay: 10, random: () => 0 } });
    void client.connect();
    controller.simulateOpen();
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(499);
    expect(client.state).toBe("open");
    vi.advanceTimersByTime(1);
    expect(errors.map((e) => e.message)).toEqual(["no pong for ping 1 within 500 ms: dropping the connection"]);
    expect(controller.socket.closedWith).toEqual({ code: 4000, reason: "pong timeout" });
    expect(client.state).toBe("reconnecting");
    vi.advanceTimersByTime(1);
    expect(controller.sockets).toHaveLength(2);
  });

  it("close() from an error listener on a pong timeout does not reconnect (regression)", () => {
    // found by reconnect.properties.test.ts: the pong timeout went on to schedule a retry after close()
    const { client, controller } = setup({ pingInterval: 100, pongTimeout: 50, reconnect: { initialDelay: 10 } });
    client.on("error", () => client.close());
    void client.connect();
    controller.simulateOpen();
    vi.advanceTimersByTime(150);
    vi.advanceTimersByTime(60_000);
    expect(client.state).toBe("closed");
    expect(controller.sockets).toHaveLength(1);
    expect(controller.socket.closedWith).toEqual({ code: 1000, reason: "" });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops pinging when the socket closes", () => {
    const { client, controller } = setup({ pingInterval: 1000, reconnect: false });
    void client.connect().catch(() => {});
    controller.simulateOpen();
    controller.simulateClose(1006);
    vi.advanceTimersByTime(10_000);
    expect(controller.sentRaw).toEqual([]);
  });
});
