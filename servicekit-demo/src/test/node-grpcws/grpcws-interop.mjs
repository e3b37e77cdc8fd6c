// Interop check of the game demo's gRPC-over-WebSocket routes with the Go library's published
// browser client, @panyam/servicekit-client (GRPCWSClient), unchanged.
//
//   node --experimental-websocket grpcws-interop.mjs <http://host:port>
//
// (Node 22+ has WebSocket without the flag; on older Node the ws package stands in.) Covers server streaming (/subscribe), client
// streaming (/commands) and bidi (/sync), a protojson error, and cancel. Prints one JSON summary on
// stdout: {"ok":bool,"node":..,"client":..,"checks":[{"name","ok","detail"}]}; exit 0 when every
// check passed, 1 otherwise, 2 for a usage error.

import { createRequire } from "node:module";
import pkg from "@panyam/servicekit-client";

// Node's own WebSocket (what browsers have) when available; the ws package on older Node.
const nativeWebSocket = typeof WebSocket !== "undefined";
if (!nativeWebSocket) {
  globalThis.WebSocket = (await import("ws")).default;
}

const { GRPCWSClient } = pkg;
const STEP_TIMEOUT_MS = 10_000;
const OVERALL_TIMEOUT_MS = 60_000;

const base = process.argv[2];
if (!base || !/^https?:\/\//.test(base)) {
  console.error("usage: node --experimental-websocket grpcws-interop.mjs <http://host:port>");
  process.exit(2);
}
const wsBase = base.replace(/^http/, "ws").replace(/\/+$/, "");
const clientVersion = createRequire(import.meta.url)("@panyam/servicekit-client/package.json").version;
const game = "interop-" + Math.random().toString(36).slice(2, 8);
const checks = [];

function finish() {
  const ok = checks.length > 0 && checks.every((c) => c.ok);
  console.log(JSON.stringify({ ok, node: process.version, client: clientVersion, nativeWebSocket, checks }));
  process.exit(ok ? 0 : 1);
}
setTimeout(() => {
  checks.push({ name: "overall", ok: false, detail: `not finished within ${OVERALL_TIMEOUT_MS} ms` });
  finish();
}, OVERALL_TIMEOUT_MS).unref();

/** A GRPCWSClient whose callbacks feed one queue of {kind, value} events. */
function client() {
  const c = new GRPCWSClient();
  const events = [];
  let waiter = null;
  const push = (e) => {
    events.push(e);
    if (waiter) {
      const w = waiter;
      waiter = null;
      w();
    }
  };
  c.onMessage = (data) => push({ kind: "data", value: data });
  c.onStreamEnd = () => push({ kind: "stream_end" });
  c.onError = (error) => push({ kind: "error", value: String(error) });
  c.onClose = () => push({ kind: "close" });
  c.next = async (pred = () => true, what = "an event") => {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const i = events.findIndex(pred);
      if (i >= 0) return events.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; have ${JSON.stringify(events)}`);
      await new Promise((resolve) => {
        waiter = resolve;
        setTimeout(resolve, left).unref();
      });
    }
  };
  c.events = events;
  return c;
}

async function check(name, fn) {
  try {
    const detail = await fn();
    checks.push({ name, ok: true, detail: detail ?? "" });
  } catch (e) {
    checks.push({ name, ok: false, detail: String(e && e.stack ? e.stack : e) });
  }
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

const isEvent = (type, player) => (e) =>
  e.kind === "data" && e.value.eventType === type &&
  (player === undefined || JSON.stringify(e.value).includes(`"${player}"`));

const alice = client();
const bob = client();

await check("server streaming: subscribe and see players join", async () => {
  await alice.connect(`${wsBase}/ws/v1/${game}/subscribe?player_id=alice`);
  const a = await alice.next(isEvent("player_joined", "alice"), "alice joined");
  expect(a.value.gameId === game, `gameId ${a.value.gameId}`);
  expect(a.value.playerJoined.playerCount === 1, `count ${JSON.stringify(a.value)}`);
  expect(/^\d+$/.test(a.value.timestamp), `int64 timestamp as string: ${a.value.timestamp}`);
  await bob.connect(`${wsBase}/ws/v1/${game}/subscribe?player_id=bob`);
  const b = await alice.next(isEvent("player_joined", "bob"), "bob joined, seen by alice");
  expect(b.value.playerJoined.playerCount === 2, `count ${JSON.stringify(b.value)}`);
  return JSON.stringify(b.value);
});

await check("client streaming: commands, end_send, summary then stream_end", async () => {
  const c = client();
  await c.connect(`${wsBase}/ws/v1/${game}/commands`);
  c.send({ commandId: "cmd-1", commandType: "attack", timestamp: String(Date.now()), parameters: { target: "enemy-1" } });
  c.send({ commandId: "cmd-2", commandType: "heal", timestamp: String(Date.now()) });
  c.send({ commandId: "cmd-3", commandType: "dance" });
  c.endSend();
  const first = await c.next(() => true, "the summary");
  expect(first.kind === "data", `first event ${JSON.stringify(first)}`);
  const s = first.value;
  expect(s.commandsReceived === 3 && s.commandsExecuted === 2 && s.commandsFailed === 1,
    `summary ${JSON.stringify(s)}`);
  expect(s.errors[0].includes("cmd-3"), `errors ${JSON.stringify(s.errors)}`);
  const second = await c.next(() => true, "stream_end");
  expect(second.kind === "stream_end", `second event ${JSON.stringify(second)}`);
  c.close();
  return JSON.stringify(s);
});

await check("bidi: actions in, live states out, events to subscribers, half-close", async () => {
  const c = client();
  await c.connect(`${wsBase}/ws/v1/${game}/sync`);
  c.send({ actionId: "action-1", playerId: "alice", move: { x: 10, y: 0, z: 20 } });
  let st = (await c.next((e) => e.kind === "data", "state after move")).value;
  let me = st.players.find((p) => p.playerId === "alice");
  expect(me.x === 10 && me.z === 20 && me.health === 100, `after move ${JSON.stringify(st)}`);
  c.send({ actionId: "action-2", playerId: "alice", attack: { targetId: "enemy-1", weaponId: "sword" } });
  st = (await c.next((e) => e.kind === "data", "state after attack")).value;
  me = st.players.find((p) => p.playerId === "alice");
  expect(me.score === 10, `after attack ${JSON.stringify(me)}`);
  c.send({ actionId: "action-3", playerId: "alice", useItem: { itemId: "potion-1", targetId: "self" } });
  st = (await c.next((e) => e.kind === "data", "state after heal")).value;
  me = st.players.find((p) => p.playerId === "alice");
  expect(me.health === 100, `heal is capped at 100: ${JSON.stringify(me)}`);
  const ev = await bob.next(isEvent("player_action", "action-2"), "bob sees alice's attack");
  expect(ev.value.playerAction.actionType === "attack", JSON.stringify(ev.value));
  c.send({ actionId: "bad", playerId: "alice", teleport: {} });
  const err = await c.next((e) => e.kind === "error", "an error for invalid protojson");
  expect(err.value.includes("game.v1.PlayerAction"), err.value);
  c.endSend();
  await c.next((e) => e.kind === "stream_end", "stream_end after end_send");
  c.close();
  return JSON.stringify(st);
});

await check("cancel ends a subscription: the others see the player leave", async () => {
  bob.cancel();
  const left = await alice.next(isEvent("player_left", "bob"), "bob left, seen by alice");
  expect(left.value.playerLeft.playerCount === 1, JSON.stringify(left.value));
  bob.close();
  alice.close();
  await alice.next((e) => e.kind === "close", "alice closed");
  return JSON.stringify(left.value);
});

finish();
