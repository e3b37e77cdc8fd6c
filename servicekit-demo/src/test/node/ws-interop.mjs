// Interop check of the ServiceKit demo server with the Node `ws` client.
//
//   node ws-interop.mjs <base-url> [--expect-heartbeat]
//
// <base-url> is the server's http:// (or ws://) root, e.g. http://localhost:8080. With
// --expect-heartbeat the chat clients also wait for a server JSON ping (start the server with a
// short heartbeat), answer it, and check that the answer was absorbed by the server.
//
// Prints one JSON summary on stdout: {"ok":bool,"node":..,"ws":..,"checks":[{"name","ok","detail"}]}.
// Exit status: 0 when every check passed, 1 when one failed, 2 for a usage error.

import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { expect, harness } from "./checks.mjs";

const STEP_TIMEOUT_MS = 10_000;
const OVERALL_TIMEOUT_MS = 50_000;

const args = process.argv.slice(2);
const base = args.find((a) => !a.startsWith("--"));
const expectHeartbeat = args.includes("--expect-heartbeat");
if (!base || !/^(https?|wss?):\/\//.test(base)) {
  console.error("usage: node ws-interop.mjs <http://host:port> [--expect-heartbeat]");
  process.exit(2);
}
const wsBase = base.replace(/^http/, "ws").replace(/\/+$/, "");

const { checks, check, finish, withTimeout } = harness({
  stepTimeoutMs: STEP_TIMEOUT_MS,
  overallTimeoutMs: OVERALL_TIMEOUT_MS,
});

/**
 * A `ws` client that queues received messages for `next()`. With `answerPings`, server JSON
 * pings {"type":"ping","pingId":n} are answered with {"type":"pong","pingId":n} and not queued.
 */
class Client {
  constructor(url, { answerPings }) {
    this.url = url;
    this.answerPings = answerPings;
    this.pingsAnswered = 0;
    this.queue = [];
    this.waiters = [];
    this.ws = new WebSocket(url);
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on("error", (e) => {
      this.error = e;
      this.deliver({ error: e });
    });
    this.ws.on("message", (data, isBinary) => {
      if (!isBinary && this.answerPings) {
        const msg = parse(data.toString());
        if (msg && msg.type === "ping" && msg.pingId !== undefined) {
          this.ws.send(JSON.stringify({ type: "pong", pingId: msg.pingId }));
          this.pingsAnswered++;
          this.notifyPing?.();
          return;
        }
      }
      this.deliver({ data, isBinary });
    });
  }

  static async open(url, options = { answerPings: true }) {
    const client = new Client(url, options);
    await withTimeout(
      new Promise((resolve, reject) => {
        client.ws.once("open", resolve);
        client.ws.once("error", reject);
        client.ws.once("unexpected-response", (_, res) =>
          reject(new Error(`handshake refused: HTTP ${res.statusCode}`)));
      }),
      `open ${url}`,
    );
    return client;
  }

  deliver(item) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.queue.push(item);
  }

  /** The next message: {data: Buffer, isBinary}. */
  async next() {
    const item = this.queue.length
      ? this.queue.shift()
      : await withTimeout(new Promise((resolve) => this.waiters.push(resolve)), `message on ${this.url}`);
    if (item.error) throw item.error;
    return item;
  }

  /** The next message, which must be a JSON text. */
  async nextJson() {
    const { data, isBinary } = await this.next();
    expect(!isBinary, "expected a text message, got binary");
    const msg = parse(data.toString());
    expect(msg !== undefined, `expected JSON, got ${data.toString().slice(0, 100)}`);
    return msg;
  }

  /** Resolves after at least one server JSON ping was answered. */
  waitForPing() {
    if (this.pingsAnswered > 0) return Promise.resolve();
    return withTimeout(new Promise((resolve) => (this.notifyPing = resolve)), "server JSON ping");
  }

  /** Sends a protocol-level ping; resolves with the pong's payload. */
  protocolPing(payload) {
    return withTimeout(
      new Promise((resolve) => {
        this.ws.once("pong", (data) => resolve(data));
        this.ws.ping(payload);
      }),
      "protocol pong",
    );
  }

  sendJson(value) {
    this.ws.send(JSON.stringify(value));
  }

  /** Closes with `code`; resolves with the close the server sent back. */
  close(code = 1000, reason = "bye") {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    return withTimeout(this.closed, `close of ${this.url}`);
  }

  terminate() {
    this.ws.terminate();
  }
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function echoChecks() {
  let echo;
  const opened = await check("echo: connect", async () => {
    echo = await Client.open(`${wsBase}/echo`, { answerPings: false });
  });
  if (!opened) return;
  try {
    await check("echo: text round trip", async () => {
      const text = "hello \u2603 \u{1F600}";
      echo.ws.send(text);
      const { data, isBinary } = await echo.next();
      expect(!isBinary, "echo of a text message came back binary");
      expect(data.toString() === text, `got ${JSON.stringify(data.toString())}`);
    });
    await check("echo: binary round trip", async () => {
      const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);
      echo.ws.send(bytes);
      const { data, isBinary } = await echo.next();
      expect(isBinary, "echo of a binary message came back as text");
      expect(Buffer.compare(data, bytes) === 0, `got ${data.toString("hex")}`);
    });
    await check("echo: 1 MiB binary round trip", async () => {
      const bytes = randomBytes(1 << 20);
      echo.ws.send(bytes);
      const { data, isBinary } = await echo.next();
      expect(isBinary, "came back as text");
      expect(data.length === bytes.length, `got ${data.length} bytes`);
      expect(Buffer.compare(data, bytes) === 0, "payload differs");
      return `${data.length} bytes`;
    });
    await check("echo: protocol ping -> pong", async () => {
      const payload = Buffer.from("ping-42");
      const pong = await echo.protocolPing(payload);
      expect(Buffer.compare(pong, payload) === 0, `pong payload ${pong.toString()}`);
    });
    await check("echo: close 1000 -> 1000", async () => {
      const { code } = await echo.close(1000, "done");
      expect(code === 1000, `server closed with ${code}`);
    });
  } finally {
    echo.terminate();
  }
}

async function chatChecks() {
  const room = `node-${randomBytes(4).toString("hex")}`;
  const url = (name) => `${wsBase}/ws/chat?username=${name}&room=${room}`;
  let alice;
  let bob;
  try {
    const ok = await check("chat: two clients welcomed", async () => {
      alice = await Client.open(url("alice"));
      const a = await alice.nextJson();
      expect(a.type === "welcome", `alice got ${JSON.stringify(a)}`);
      expect(a.data.username === "alice" && a.data.room === room, `welcome ${JSON.stringify(a)}`);
      bob = await Client.open(url("bob"));
      const b = await bob.nextJson();
      expect(b.type === "welcome" && b.data.username === "bob", `bob got ${JSON.stringify(b)}`);
      bob.userId = b.data.userId;
      const joined = await alice.nextJson();
      expect(
        joined.type === "user_joined" && joined.data.username === "bob",
        `alice expected user_joined, got ${JSON.stringify(joined)}`,
      );
    });
    if (!ok) return;
    await check("chat: message delivered to the room", async () => {
      alice.sendJson({ type: "chat_message", message: "hi from node" });
      for (const [name, client] of [["alice", alice], ["bob", bob]]) {
        const m = await client.nextJson();
        expect(m.type === "chat_message", `${name} got ${JSON.stringify(m)}`);
        expect(m.data.username === "alice" && m.data.message === "hi from node",
          `${name} got ${JSON.stringify(m)}`);
        expect(Number.isInteger(m.data.timestamp), `timestamp ${m.data.timestamp}`);
      }
    });
    await check("chat: client ping -> pong", async () => {
      bob.sendJson({ type: "ping", pingId: 7 });
      const pong = await bob.nextJson();
      expect(pong.type === "pong" && pong.pingId === 7, `got ${JSON.stringify(pong)}`);
    });
    if (expectHeartbeat) {
      await check("chat: server JSON ping answered and absorbed", async () => {
        await alice.waitForPing();
        alice.sendJson({ type: "list_users" });
        // Had the pong reached the chat handler, an "unknown message type" error would come first.
        const users = await alice.nextJson();
        expect(users.type === "users", `expected users, got ${JSON.stringify(users)}`);
        const names = users.data.map((u) => u.username).sort();
        expect(JSON.stringify(names) === '["alice","bob"]', `users ${JSON.stringify(names)}`);
        return `${alice.pingsAnswered} ping(s) answered`;
      });
    }
    await check("chat: close 1000 -> 1000, user_left to the room", async () => {
      const { code } = await bob.close(1000, "bye");
      expect(code === 1000, `server closed bob with ${code}`);
      const left = await alice.nextJson();
      expect(left.type === "user_left" && left.data.username === "bob" && left.data.userId === bob.userId,
        `alice expected user_left, got ${JSON.stringify(left)}`);
      const { code: aliceCode } = await alice.close(1000, "bye");
      expect(aliceCode === 1000, `server closed alice with ${aliceCode}`);
    });
  } finally {
    alice?.terminate();
    bob?.terminate();
  }
}

await echoChecks();
await chatChecks();
finish();
