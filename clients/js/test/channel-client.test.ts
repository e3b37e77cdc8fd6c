import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ChannelClient,
  type ChannelClientOptions,
  type ChannelPublication,
  ReplyError,
  type ResyncEvent,
  type SubscribedEvent,
  WsClient,
  createMockWSPair,
  formatPosition,
  parsePosition,
} from "../src/index.js";
import { FakeChannelServer } from "./fake-channel-server.js";

// The same vectors as the Java StreamPosition tests.
const vectors = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../../test-vectors/channels/positions.json"), "utf8"),
) as { valid: { text: string; epoch: string; offset: number }[]; invalid: string[] };

describe("positions (test-vectors/channels/positions.json)", () => {
  it.each(vectors.valid)("parses $text", (v) => {
    expect(parsePosition(v.text)).toEqual({ epoch: v.epoch, offset: v.offset });
    const canonical = `${v.epoch}-${v.offset}`;
    expect(formatPosition(parsePosition(v.text))).toBe(canonical);
  });

  it.each(vectors.invalid)("refuses %j", (text) => {
    expect(() => parsePosition(text)).toThrow(RangeError);
    expect(() => parsePosition(text)).toThrow(JSON.stringify(text));
  });

  it("refuses offsets past 2^53 - 1 by name", () => {
    expect(() => parsePosition("e1-9007199254740992")).toThrow(/safe integer/);
    expect(() => formatPosition({ epoch: "e1", offset: -1 })).toThrow(/offset must be a safe integer >= 0, got -1/);
    expect(() => formatPosition({ epoch: "E", offset: 1 })).toThrow(/epoch must be 1-32 characters/);
  });
});

/** Lets the client's promise reactions run, answering what it sends each time. */
async function settle(server: FakeChannelServer): Promise<void> {
  for (let i = 0; i < 20; i++) {
    server.pump();
    await Promise.resolve();
  }
  server.pump();
}

function setup(options: ChannelClientOptions = {}) {
  const { WebSocket, controller } = createMockWSPair();
  const ws = new WsClient<unknown, unknown>("ws://test/ws/channels?user=alice", {
    WebSocket,
    reconnect: { initialDelay: 0, maxDelay: 0 },
    connectTimeout: 0,
    closeTimeout: 0,
  });
  const client = new ChannelClient(ws, options);
  const server = new FakeChannelServer(controller);
  const errors: Error[] = [];
  client.on("error", (e) => errors.push(e));
  const open = async () => {
    const p = client.connect();
    controller.simulateOpen();
    await p;
    await settle(server);
  };
  /** A drop, and the reconnect the client makes at once (backoff 0). */
  const drop = async () => {
    controller.simulateClose(1006);
    vi.advanceTimersByTime(1);
    controller.simulateOpen();
    await settle(server);
  };
  return { client, ws, controller, server, errors, open, drop };
}

function recorder() {
  const pubs: ChannelPublication[] = [];
  const resyncs: ResyncEvent[] = [];
  const subscribed: SubscribedEvent[] = [];
  return {
    pubs,
    resyncs,
    subscribed,
    opts: {
      onPublication: (p: ChannelPublication) => pubs.push(p),
      onResync: (e: ResyncEvent) => resyncs.push(e),
      onSubscribed: (e: SubscribedEvent) => subscribed.push(e),
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ChannelClient subscriptions", () => {
  it("subscribes live, delivers with positions, and sends the wire of docs/channels.md", async () => {
    const { client, server, open, controller } = setup();
    const r = recorder();
    await open();
    server.publish("room", "before");
    const reply = client.subscribe("room", { ...r.opts, presence: true });
    await settle(server);
    await expect(reply).resolves.toEqual({ channel: "room", epoch: "e1", offset: 1, recovered: false });
    expect(controller.sent[0]).toEqual({ type: "subscribe", channel: "room", presence: true, id: 1 });
    server.publish("room", { text: "hi" });
    expect(r.pubs).toEqual([{ channel: "room", position: { epoch: "e1", offset: 2 }, data: { text: "hi" } }]);
    expect(client.position("room")).toEqual({ epoch: "e1", offset: 2 });
    expect(r.subscribed).toEqual([{ channel: "room", position: { epoch: "e1", offset: 1 }, recovered: false, recoveredCount: 0, resync: undefined, automatic: false }]);
  });

  it("resubscribes with since after a drop and gets exactly what it missed", async () => {
    const { client, server, open, drop, controller } = setup();
    const r = recorder();
    await open();
    void client.subscribe("room", r.opts);
    await settle(server);
    server.publish("room", 1);
    controller.simulateClose(1006);
    server.publish("room", 2);
    server.publish("room", 3);
    vi.advanceTimersByTime(1);
    controller.simulateOpen();
    await settle(server);
    expect(controller.sent[0]).toEqual({ type: "subscribe", channel: "room", since: { epoch: "e1", offset: 1 }, id: 2 });
    expect(r.pubs.map((p) => p.data)).toEqual([1, 2, 3]);
    expect(r.subscribed.at(-1)).toMatchObject({ recovered: true, recoveredCount: 2, automatic: true, position: { epoch: "e1", offset: 3 } });
    server.publish("room", 4);
    await drop();
    expect(r.subscribed.at(-1)).toMatchObject({ recovered: true, recoveredCount: 0 });
    expect(r.pubs.map((p) => p.position.offset)).toEqual([1, 2, 3, 4]);
  });

  it("recovers a 1,000-message gap exactly, in order (and prints the client's time for it)", async () => {
    const { client, server, open, controller } = setup({ requestTimeout: 0 });
    const r = recorder();
    await open();
    void client.subscribe("room", r.opts);
    await settle(server);
    controller.simulateClose(1006);
    for (let i = 1; i <= 1000; i++) server.publish("room", { user: "bob", text: "message " + i });
    vi.advanceTimersByTime(1);
    vi.useRealTimers(); // the clock is faked: measure with the real one
    const t0 = performance.now();
    controller.simulateOpen();
    server.pump(); // the fake answers at once: 1,000 pub frames, then the reply
    const ms = performance.now() - t0;
    await settle(server);
    expect(r.pubs.map((p) => p.position.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(r.subscribed.at(-1)).toMatchObject({ recovered: true, recoveredCount: 1000, automatic: true });
    console.log(`channel-client: 1,000 recovered publications parsed and delivered in ${ms.toFixed(1)} ms`);
  });

  it("subscribes made before connect go out on open; since given as text", async () => {
    const { client, server, open, controller } = setup();
    const r = recorder();
    server.publish("room", "a");
    server.publish("room", "b");
    const reply = client.subscribe("room", { ...r.opts, since: "e1-1" });
    await open();
    expect(controller.sent[0]).toMatchObject({ type: "subscribe", since: { epoch: "e1", offset: 1 } });
    await expect(reply).resolves.toMatchObject({ recovered: true, offset: 2 });
    expect(r.pubs.map((p) => p.data)).toEqual(["b"]);
  });

  it("drops repeats and recovers a gap by unsubscribing and subscribing with since", async () => {
    const { client, server, open, controller } = setup();
    const r = recorder();
    await open();
    void client.subscribe("room", r.opts);
    await settle(server);
    server.repeatNext = 1;
    server.publish("room", 1);
    expect(client.stats.duplicates).toBe(1);
    server.loseNext = 1;
    server.publish("room", 2);
    server.publish("room", 3); // offset 3 after 1: a gap
    await settle(server);
    const types = controller.sent.map((f) => (f as { type: string }).type);
    expect(types.slice(-2)).toEqual(["unsubscribe", "subscribe"]);
    expect(controller.sent.at(-1)).toMatchObject({ since: { epoch: "e1", offset: 1 } });
    expect(r.pubs.map((p) => p.data)).toEqual([1, 2, 3]);
    expect(client.stats.gaps).toBe(1);
  });

  it("answers resync when the history no longer covers the gap", async () => {
    const { WebSocket, controller } = createMockWSPair();
    const ws = new WsClient("ws://t", { WebSocket, reconnect: { initialDelay: 0, maxDelay: 0 }, connectTimeout: 0 });
    const client = new ChannelClient(ws);
    const server = new FakeChannelServer(controller, 2);
    const r = recorder();
    const p = client.connect();
    controller.simulateOpen();
    await p;
    void client.subscribe("room", r.opts);
    await settle(server);
    controller.simulateClose(1006);
    for (let i = 1; i <= 5; i++) server.publish("room", i);
    vi.advanceTimersByTime(1);
    controller.simulateOpen();
    await settle(server);
    expect(r.pubs).toEqual([]);
    expect(r.resyncs).toEqual([{ channel: "room", reason: "evicted", from: { epoch: "e1", offset: 0 }, position: { epoch: "e1", offset: 5 } }]);
    expect(client.position("room")).toEqual({ epoch: "e1", offset: 5 });
    server.publish("room", 6);
    expect(r.pubs.map((x) => x.data)).toEqual([6]);
  });

  it("a new epoch in a live pub makes it resubscribe and resync epoch_changed", async () => {
    const { client, server, open } = setup();
    const r = recorder();
    await open();
    void client.subscribe("room", r.opts);
    await settle(server);
    server.publish("room", 1);
    server.resetEpoch("room");
    server.publish("room", "new-1");
    await settle(server);
    expect(r.resyncs).toMatchObject([{ reason: "epoch_changed", from: { epoch: "e1", offset: 1 }, position: { epoch: "e2", offset: 1 } }]);
    server.publish("room", "new-2");
    expect(r.pubs.map((x) => x.data)).toEqual([1, "new-2"]);
  });

  it("a refused subscribe rejects with the server's code and is forgotten", async () => {
    const { client, server, open } = setup();
    await open();
    server.ignore = (f) => {
      if (f.type !== "subscribe") return false;
      server.push({ type: "reply", id: f.id, error: "channel \"secret\" is not allowed", code: "forbidden" });
      return true;
    };
    const reply = client.subscribe("secret");
    await settle(server);
    await expect(reply).rejects.toMatchObject({ name: "ReplyError", code: "forbidden", message: 'channel "secret" is not allowed' });
    expect(client.channels).toEqual([]);
  });

  it("unsubscribe stops delivery and tells the server", async () => {
    const { client, server, open, controller } = setup();
    const r = recorder();
    await open();
    void client.subscribe("room", r.opts);
    await settle(server);
    const done = client.unsubscribe("room");
    await settle(server);
    await done;
    expect(controller.sent.at(-1)).toEqual({ type: "unsubscribe", channel: "room", id: 2 });
    server.publish("room", 1);
    expect(r.pubs).toEqual([]);
    expect(client.position("room")).toBeUndefined();
  });

  it("checks channel names and a second subscribe", async () => {
    const { client, server, open } = setup();
    await open();
    expect(() => client.subscribe("a b")).toThrow(/channel name must be 1-200 characters .* got "a b"/);
    expect(() => client.subscribe("")).toThrow(RangeError);
    expect(() => client.subscribe("x*")).toThrow(RangeError);
    expect(() => client.subscribe("x", { since: "X-1" })).toThrow(/position must be/);
    void client.subscribe("x");
    await settle(server);
    await expect(client.subscribe("x")).rejects.toMatchObject({ code: "bad_request" });
  });

  it("delivers join and leave of a presence subscription; presence() asks the server", async () => {
    const { client, server, open } = setup();
    const joins: unknown[] = [];
    const leaves: unknown[] = [];
    await open();
    void client.subscribe("room", { presence: true, onJoin: (e) => joins.push(e), onLeave: (e) => leaves.push(e) });
    await settle(server);
    server.push({ type: "join", channel: "room", user: "bob", connections: 1 });
    server.push({ type: "leave", channel: "room", user: "bob" });
    server.push({ type: "join", channel: "other", user: "carol", connections: 1 });
    expect(joins).toEqual([{ channel: "room", user: "bob", connections: 1 }]);
    expect(leaves).toEqual([{ channel: "room", user: "bob" }]);
    const members = client.presence("room");
    await settle(server);
    await expect(members).resolves.toEqual([{ user: "alice", connections: 1 }]);
  });
});

describe("ChannelClient requests", () => {
  it("publish resolves with the position", async () => {
    const { client, server, open, controller } = setup();
    await open();
    const p = client.publish("room", { text: "x" });
    await settle(server);
    await expect(p).resolves.toEqual({ epoch: "e1", offset: 1 });
    expect(controller.sent[0]).toEqual({ type: "publish", channel: "room", data: { text: "x" }, id: 1 });
  });

  it("request resolves with the reply's data and rejects with its code", async () => {
    const { client, server, open } = setup();
    await open();
    const ok = client.request({ q: 1 });
    const bad = client.request({ fail: "limit" });
    await settle(server);
    await expect(ok).resolves.toEqual({ echo: { q: 1 } });
    await expect(bad).rejects.toEqual(new ReplyError("limit", "refused by the test"));
  });

  it("times out with code timeout and counts the late reply", async () => {
    const { client, server, open } = setup({ requestTimeout: 1000 });
    await open();
    server.ignore = (f) => f.type === "request";
    const p = client.request("slow");
    const q = client.request("slower", { timeout: 5000 });
    server.pump();
    const id = (server.received.at(-2) as { id: number }).id;
    vi.advanceTimersByTime(1000);
    await expect(p).rejects.toMatchObject({ code: "timeout", message: `no reply to request ${id} within 1000 ms` });
    server.push({ type: "reply", id, data: "late" });
    expect(client.stats.lateReplies).toBe(1);
    vi.advanceTimersByTime(4000);
    await expect(q).rejects.toMatchObject({ code: "timeout" });
  });

  it("cancels with an AbortSignal", async () => {
    const { client, server, open } = setup();
    await open();
    server.ignore = () => true;
    const ac = new AbortController();
    const p = client.request("x", { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: "cancelled" });
    await expect(client.request("y", { signal: ac.signal })).rejects.toMatchObject({ code: "cancelled" });
  });

  it("fails every sent request at once when the connection closes, and resends nothing", async () => {
    const { client, server, open, controller } = setup();
    await open();
    server.ignore = () => true;
    const p = client.request("x");
    const q = client.publish("room", "y");
    server.pump();
    controller.simulateClose(1006);
    await expect(p).rejects.toMatchObject({ code: "closed", closeCode: 1006 });
    await expect(q).rejects.toMatchObject({ code: "closed" });
    vi.advanceTimersByTime(1);
    controller.simulateOpen();
    await settle(server);
    expect(controller.sent).toEqual([]);
  });

  it("requests made while reconnecting wait for the connection; close() fails them", async () => {
    const { client, server, open, controller } = setup();
    await open();
    controller.simulateClose(1006);
    const p = client.request("while down");
    vi.advanceTimersByTime(1);
    controller.simulateOpen();
    await settle(server);
    await expect(p).resolves.toEqual({ echo: "while down" });
    server.ignore = () => true;
    const q = client.request("never");
    client.close();
    await expect(q).rejects.toMatchObject({ code: "closed", closeCode: 1000 });
    await expect(client.request("after")).rejects.toMatchObject({ code: "closed" });
  });

  it("answers the server's requests with the handler's value or error", async () => {
    const { client, server, open, controller } = setup();
    await open();
    server.push({ type: "request", id: 9, data: "no handler" });
    expect(controller.sent.at(-1)).toEqual({ type: "reply", id: 9, error: "this client has no request handler (onRequest)", code: "internal" });
    client.onRequest((d) => {
      if (d === "bad") throw new ReplyError("forbidden", "not you");
      if (d === "boom") throw new Error("broken");
      return Promise.resolve({ got: d });
    });
    server.push({ type: "request", id: 10, data: "ok" });
    server.push({ type: "request", id: 11, data: "bad" });
    server.push({ type: "request", id: 12, data: "boom" });
    await settle(server);
    expect(controller.sent.slice(-3)).toEqual([
      { type: "reply", id: 11, error: "not you", code: "forbidden" },
      { type: "reply", id: 12, error: "broken", code: "internal" },
      { type: "reply", id: 10, data: { got: "ok" } },
    ]);
  });

  it("reports the server's error envelope and envelopes it does not know", async () => {
    const { server, open, errors } = setup();
    await open();
    server.push({ type: "error", error: "bad envelope" });
    server.push({ type: "nope" });
    server.push({ type: "reply", id: -1 });
    expect(errors.map((e) => e.message)).toEqual([
      "server error: bad envelope",
      'unknown channel envelope type "nope"',
      "reply with an invalid id: -1",
    ]);
  });
});

describe("ChannelClient on a URL", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("has the client heartbeat on (25 s, 10 s) unless the options set it", async () => {
    const { WebSocket, controller } = createMockWSPair();
    const client = new ChannelClient("ws://test/ws/channels", { ws: { WebSocket } });
    const p = client.connect();
    controller.simulateOpen();
    await p;
    const isPing = (f: unknown) => (f as { type?: string }).type === "ping";
    const pings = () => controller.sent.filter(isPing);
    vi.advanceTimersByTime(24_999);
    expect(pings()).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(pings()).toHaveLength(1);
    client.close();

    const quiet = createMockWSPair();
    const off = new ChannelClient("ws://test/ws/channels", { ws: { WebSocket: quiet.WebSocket, pingInterval: 0 } });
    const q = off.connect();
    quiet.controller.simulateOpen();
    await q;
    vi.advanceTimersByTime(60_000);
    expect(quiet.controller.sent.filter(isPing)).toHaveLength(0);
    off.close();
  });
});
