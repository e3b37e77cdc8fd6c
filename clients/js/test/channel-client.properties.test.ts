import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChannelClient, type StreamPosition, WsClient, createMockWSPair } from "../src/index.js";
import { FakeChannelServer } from "./fake-channel-server.js";

// Model-based property test of the ChannelClient's recovery continuity: fast-check generates
// sequences of publications, drops and reconnects, lost and repeated live deliveries, epoch
// changes and reconnects with the history evicted (small maxHistory), against the fake server.
// The log of what the subscriber saw must be a chain: every publication has the offset right
// after the previous position in the same epoch and the data the server stored there, and a
// resync jumps exactly from the position the client had to the server's top. Without eviction
// and epoch changes there is no resync and every publication is delivered exactly once.

type Cmd =
  | { k: "publish"; n: number }
  | { k: "drop" }
  | { k: "reconnect" }
  | { k: "lose" }
  | { k: "repeat" }
  | { k: "epoch" };

const cmdArb = (withResets: boolean): fc.Arbitrary<Cmd> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => ({ k: "publish", n }) as Cmd) },
    { weight: 2, arbitrary: fc.constant<Cmd>({ k: "drop" }) },
    { weight: 2, arbitrary: fc.constant<Cmd>({ k: "reconnect" }) },
    { weight: 1, arbitrary: fc.constant<Cmd>({ k: "lose" }) },
    { weight: 1, arbitrary: fc.constant<Cmd>({ k: "repeat" }) },
    { weight: withResets ? 1 : 0, arbitrary: fc.constant<Cmd>({ k: "epoch" }) },
  );

type Seen = { k: "pub"; epoch: string; offset: number; data: unknown; stored: unknown } | { k: "resync"; from: StreamPosition | undefined; to: StreamPosition };

async function settle(server: FakeChannelServer): Promise<void> {
  for (let i = 0; i < 30; i++) {
    server.pump();
    await Promise.resolve();
  }
  server.pump();
}

async function run(cmds: Cmd[], maxHistory: number): Promise<{ seen: Seen[]; server: FakeChannelServer; client: ChannelClient; start: StreamPosition; published: number }> {
  const { WebSocket, controller } = createMockWSPair();
  const ws = new WsClient<unknown, unknown>("ws://t", { WebSocket, reconnect: { initialDelay: 0, maxDelay: 0 }, connectTimeout: 0 });
  const client = new ChannelClient(ws, { requestTimeout: 0 });
  const server = new FakeChannelServer(controller, maxHistory);
  const seen: Seen[] = [];
  // what the server stored at each position, for checking the data
  const stored = new Map<string, unknown>();
  const pub = (data: unknown) => {
    const ch = server.channel("c");
    stored.set(`${ch.epoch}-${ch.top + 1}`, data); // before: publish delivers at once
    server.publish("c", data);
  };
  pub("before-0");
  const opened = client.connect();
  controller.simulateOpen();
  await opened;
  const reply = client.subscribe("c", {
    onPublication: (p) => {
      // checked after the run (a callback's throw is only logged)
      seen.push({ k: "pub", epoch: p.position.epoch, offset: p.position.offset, data: p.data, stored: stored.get(`${p.position.epoch}-${p.position.offset}`) });
    },
    onResync: (e) => seen.push({ k: "resync", from: e.from, to: e.position }),
  });
  await settle(server);
  const r = await reply;
  const start = { epoch: r.epoch, offset: r.offset };
  let published = 0;
  let seq = 0;
  for (const c of cmds) {
    switch (c.k) {
      case "publish":
        for (let i = 0; i < c.n; i++) {
          pub(++seq);
          published++;
        }
        break;
      case "drop":
        if (controller.readyState === 1) controller.simulateClose(1006);
        break;
      case "reconnect":
        if (controller.readyState !== 1) {
          vi.advanceTimersByTime(1);
          if (controller.readyState === 0) controller.simulateOpen();
        }
        break;
      case "lose":
        server.loseNext++;
        break;
      case "repeat":
        server.repeatNext++;
        break;
      case "epoch":
        server.resetEpoch("c");
        break;
    }
    await settle(server);
  }
  // end: connected, no faults, one more publication so a lost last one shows as a gap
  server.loseNext = 0;
  server.repeatNext = 0;
  if (controller.readyState !== 1) {
    vi.advanceTimersByTime(1);
    controller.simulateOpen();
  }
  await settle(server);
  pub(++seq);
  published++;
  await settle(server);
  return { seen, server, client, start, published };
}

function checkChain(seen: Seen[], start: StreamPosition, top: StreamPosition): void {
  let cur = start;
  for (const s of seen) {
    if (s.k === "pub") {
      expect({ epoch: s.epoch, offset: s.offset }).toEqual({ epoch: cur.epoch, offset: cur.offset + 1 });
      expect(s.data).toEqual(s.stored);
      cur = { epoch: s.epoch, offset: s.offset };
    } else {
      expect(s.from).toEqual(cur);
      cur = s.to;
    }
  }
  expect(cur).toEqual(top);
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ChannelClient recovery continuity (model)", () => {
  it("without eviction: every publication exactly once, in order, no resync", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb(false), { maxLength: 40 }), async (cmds) => {
        const { seen, server, client, start, published } = await run(cmds, Number.POSITIVE_INFINITY);
        const c = server.channel("c");
        checkChain(seen, start, { epoch: c.epoch, offset: c.top });
        expect(seen.every((s) => s.k === "pub")).toBe(true);
        expect(seen.map((s) => (s as { data: unknown }).data)).toEqual(Array.from({ length: published }, (_, i) => i + 1));
        expect(client.position("c")).toEqual({ epoch: c.epoch, offset: c.top });
      }),
      { numRuns: 200, seed: 19 },
    );
  });

  it("with a small history and epoch changes: a chain of consecutive positions and exact resyncs", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb(true), { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), async (cmds, maxHistory) => {
        const { seen, server, client, start } = await run(cmds, maxHistory);
        const c = server.channel("c");
        checkChain(seen, start, { epoch: c.epoch, offset: c.top });
        expect(client.position("c")).toEqual({ epoch: c.epoch, offset: c.top });
      }),
      { numRuns: 200, seed: 1919 },
    );
  });
});
