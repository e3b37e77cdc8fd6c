// permessage-deflate check of the ServiceKit demo server's /echo with the Node `ws` client.
//
//   node ws-deflate.mjs <base-url>
//
// Prints one JSON summary on stdout: {"ok":bool,"node":..,"ws":..,"checks":[{"name","ok","detail"}]}.
// Exit status: 0 when every check passed, 1 when one failed, 2 for a usage error.

import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { expect, harness } from "./checks.mjs";

const STEP_TIMEOUT_MS = 15_000;
const OVERALL_TIMEOUT_MS = 90_000;
/** The demo's /echo message limit (EchoConn.MAX_MESSAGE_SIZE). */
const ECHO_LIMIT = 16 << 20;

const base = process.argv.slice(2).find((a) => !a.startsWith("--"));
if (!base || !/^(https?|wss?):\/\//.test(base)) {
  console.error("usage: node ws-deflate.mjs <http://host:port>");
  process.exit(2);
}
const echoUrl = `${base.replace(/^http/, "ws").replace(/\/+$/, "")}/echo`;

const { checks, check, finish, withTimeout } = harness({
  stepTimeoutMs: STEP_TIMEOUT_MS,
  overallTimeoutMs: OVERALL_TIMEOUT_MS,
});

/** A `ws` client on /echo with `perMessageDeflate` options; keeps the answer and the socket. */
class Client {
  static async open(perMessageDeflate) {
    const c = new Client();
    c.queue = [];
    c.waiters = [];
    c.ws = new WebSocket(echoUrl, { perMessageDeflate, maxPayload: 64 << 20 });
    c.closed = new Promise((resolve) => {
      c.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    c.ws.on("upgrade", (res) => {
      c.answer = res.headers["sec-websocket-extensions"] ?? "";
      c.socket = res.socket;
    });
    c.ws.on("message", (data, isBinary) => c.deliver({ data, isBinary }));
    c.ws.on("error", (error) => c.deliver({ error }));
    await withTimeout(
      new Promise((resolve, reject) => {
        c.ws.once("open", resolve);
        c.ws.once("error", reject);
      }),
      "open /echo",
    );
    return c;
  }

  deliver(item) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.queue.push(item);
  }

  async next() {
    const item = this.queue.length
      ? this.queue.shift()
      : await withTimeout(new Promise((resolve) => this.waiters.push(resolve)), "echo");
    if (item.error) throw item.error;
    return item;
  }

  /** Sends `payload`, awaits its echo, checks it; returns the bytes read from the socket meanwhile. */
  async echo(payload) {
    const before = this.socket.bytesRead;
    this.ws.send(payload);
    const { data, isBinary } = await this.next();
    const text = typeof payload === "string";
    expect(isBinary === !text, `sent ${text ? "text" : "binary"}, got the other`);
    const same = text ? data.toString() === payload : Buffer.compare(data, payload) === 0;
    expect(same, `echo of ${payload.length} differs (${data.length} back)`);
    return this.socket.bytesRead - before;
  }

  terminate() {
    this.ws.terminate();
  }
}

/** Chat-like JSON text of about `size` characters: what deflate is for. */
function chatty(size) {
  const parts = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const p = `{"type":"chat_message","data":{"room":"lobby","username":"alice","seq":${i}}},`;
    parts.push(p);
    n += p.length;
  }
  return parts.join("").slice(0, size);
}

async function session(name, options, body) {
  let c;
  try {
    c = await Client.open(options);
    await body(c);
  } catch (e) {
    checks.push({ name: `${name}: session`, ok: false, detail: String(e && e.message ? e.message : e) });
  } finally {
    c?.terminate();
  }
}

// Context takeover (ws's defaults) and threshold 0, so that the client compresses small messages too.
await session("takeover", { threshold: 0 }, async (c) => {
  await check("takeover: permessage-deflate negotiated", async () => {
    expect(c.answer === "permessage-deflate", `answer "${c.answer}"`);
    expect(c.ws.extensions.includes("permessage-deflate"), `ws.extensions "${c.ws.extensions}"`);
    return c.answer;
  });
  await check("takeover: small text round trip", async () => {
    await c.echo("hello \u2603 \u{1F600}");
  });
  await check("takeover: 1 MiB chat-like text is smaller on the wire", async () => {
    const text = chatty(1 << 20);
    const wire = await c.echo(text);
    expect(wire < text.length / 4, `${wire} bytes read for ${text.length}`);
    return `${text.length} bytes in ${wire} on the wire`;
  });
  await check("takeover: 1 MiB random binary round trip", async () => {
    const bytes = randomBytes(1 << 20);
    const wire = await c.echo(bytes);
    return `${bytes.length} bytes in ${wire} on the wire`;
  });
  await check("takeover: a repeated message costs little", async () => {
    const text = chatty(4000);
    const first = await c.echo(text);
    const second = await c.echo(text);
    expect(second < first / 4, `first ${first} bytes, second ${second}`);
    return `first ${first} bytes, second ${second}`;
  });
});

await session(
  "no takeover",
  { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
  async (c) => {
    await check("no takeover: both parameters answered", async () => {
      const params = c.answer.split(";").map((s) => s.trim()).sort();
      expect(
        JSON.stringify(params) ===
          '["client_no_context_takeover","permessage-deflate","server_no_context_takeover"]',
        `answer "${c.answer}"`,
      );
      return c.answer;
    });
    await check("no takeover: a repeated message costs the same", async () => {
      const text = chatty(4000);
      const first = await c.echo(text);
      const second = await c.echo(text);
      expect(second === first, `first ${first} bytes, second ${second}`);
      return `${first} bytes each`;
    });
  },
);

// The server's deflater always uses a 15-bit window, so it declines an offer that needs less.
await session("window bits", { threshold: 0, serverMaxWindowBits: 10 }, async (c) => {
  await check("server_max_window_bits=10: declined, echo uncompressed", async () => {
    expect(c.answer === "", `answer "${c.answer}"`);
    const text = chatty(100_000);
    const wire = await c.echo(text);
    expect(wire >= text.length, `${wire} bytes read for ${text.length}`);
  });
});

await session("bomb", { threshold: 0 }, async (c) => {
  await check("bomb: zeros past the limit, small on the wire -> 1009", async () => {
    const written = c.socket.bytesWritten;
    c.ws.send(Buffer.alloc(ECHO_LIMIT + (4 << 20)));
    const { code } = await withTimeout(c.closed, "close after the bomb");
    const sent = c.socket.bytesWritten - written;
    expect(code === 1009, `closed with ${code}`);
    expect(sent < 64 * 1024, `${sent} bytes sent`);
    return `${ECHO_LIMIT + (4 << 20)} bytes sent as ${sent}, closed with ${code}`;
  });
});

finish();
