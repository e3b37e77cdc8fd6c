// Browser end-to-end checks of the ServiceKit demo (including the gRPC game) in a real Chromium (no browser download:
// playwright-core drives the system binary given as the second argument). Every page uses the JavaScript client
// bundle (/js/servicekit.js, built from clients/js).
// Usage: node browser-e2e.mjs <base-url> <chromium-binary> <screenshot-dir> <control-url>
// <control-url> is the test's own HTTP endpoint: POST <control-url>/restart stops the demo server and starts a new
// one on the same port, answering once it listens.
// Prints a JSON summary; exits 0 only if every check passed. A failing check leaves screenshots of every open page
// in <screenshot-dir>/<check number>-page-<n>.png. The checks wait on page state, never on fixed sleeps.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [base, executablePath, shots, control] = process.argv.slice(2);
if (!base || !executablePath || !shots || !control) {
  console.error("usage: node browser-e2e.mjs <base-url> <chromium-binary> <screenshot-dir> <control-url>");
  process.exit(2);
}
const checks = [];
const pages = [];
const TIMEOUT = 30_000; // generous: CI machines are slow

async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    checks.push({ name, ok: true, ms: Date.now() - started });
  } catch (err) {
    checks.push({ name, ok: false, error: String(err && err.message ? err.message : err) });
    mkdirSync(shots, { recursive: true });
    for (const [i, page] of pages.entries()) {
      if (page.isClosed()) continue;
      await page.screenshot({ path: `${shots}/${checks.length}-page-${i}.png`, fullPage: true }).catch(() => {});
    }
  }
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const context = await browser.newContext();
  context.setDefaultTimeout(TIMEOUT);
  const newPage = async (path) => {
    const page = await context.newPage();
    pages.push(page);
    await page.goto(base + path);
    return page;
  };
  const logHas = (page, id, text) =>
    page.waitForFunction(([i, t]) => document.getElementById(i).textContent.includes(t), [id, text]);

  const home = await newPage("/");

  await check("echo: text typed in the page comes back through the bundled WsClient", async () => {
    await home.waitForFunction(() => typeof window.ServiceKit?.WsClient === "function");
    await home.waitForFunction(() => document.getElementById("echo-status").textContent === "connected");
    await home.fill("#echo-input", "hello from chromium");
    await home.press("#echo-input", "Enter");
    await logHas(home, "echo-log", "\u2190 hello from chromium");
  });

  await check("echo: binary frames round-trip byte for byte (WsClient, raw codec)", async () => {
    const ok = await home.evaluate(async () => {
      const sent = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
      let resolveReply;
      const reply = new Promise((resolve) => { resolveReply = resolve; });
      const ws = new window.ServiceKit.WsClient("ws://" + location.host + "/echo", {
        codec: new window.ServiceKit.RawCodec(),
        reconnect: false,
        onMessage: (data) => resolveReply(new Uint8Array(data)),
      });
      ws.send(sent); // queued until the socket opens
      await ws.connect();
      const got = await reply;
      ws.close(1000);
      return got.length === sent.length && got.every((b, i) => b === sent[i]);
    });
    if (!ok) throw new Error("binary echo differed");
  });

  await check("echo: the browser's permessage-deflate offer is accepted, large text round-trips", async () => {
    const r = await home.evaluate(async () => {
      const ws = new WebSocket("ws://" + location.host + "/echo");
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error("websocket error"));
      });
      const text = Array.from({ length: 3000 }, (_, i) => `{"type":"chat","seq":${i}}`).join(",");
      const reply = new Promise((resolve) => { ws.onmessage = (e) => resolve(e.data); });
      ws.send(text);
      const got = await reply;
      ws.close(1000);
      return { extensions: ws.extensions, same: got === text, length: text.length };
    });
    if (!r.extensions.startsWith("permessage-deflate")) {
      throw new Error(`negotiated extensions "${r.extensions}"`);
    }
    if (!r.same) throw new Error("compressed echo differed");
    return `${r.extensions}, ${r.length} characters`;
  });

  let annChat = null;
  await check("chat: two chat pages in one room see each other", async () => {
    const ann = await newPage("/chat.html");
    annChat = ann;
    await ann.fill("#chat-username", "ann");
    await ann.fill("#chat-room", "e2e");
    await ann.click("#chat-connect-button");
    await logHas(ann, "chat-log", "welcome ann");
    const bob = await newPage("/chat.html");
    await bob.fill("#chat-username", "bob");
    await bob.fill("#chat-room", "e2e");
    await bob.click("#chat-connect-button");
    await logHas(bob, "chat-log", "welcome bob");
    await logHas(ann, "chat-log", "bob joined #e2e");
    await bob.fill("#chat-input", "hi ann");
    await bob.press("#chat-input", "Enter");
    await logHas(ann, "chat-log", "bob: hi ann");
    await logHas(bob, "chat-log", "bob: hi ann");
    await bob.click("#chat-connect-button"); // disconnect: a deliberate close, no reconnect
    await logHas(ann, "chat-log", "bob left #e2e");
    await logHas(bob, "chat-status", "closed (1000 bye)");
  });

  await check("time: the clock ticks and a publish reaches the page", async () => {
    await home.waitForFunction(() => document.getElementById("time-now").textContent.includes("T"));
    const first = await home.textContent("#time-now");
    await home.waitForFunction((t) => document.getElementById("time-now").textContent !== t, first);
    await home.fill("#publish-input", "news for everyone");
    await home.press("#publish-input", "Enter");
    await logHas(home, "time-log", "published: news for everyone");
  });

  let eventsPage = null;
  await check("sse: the events page survives a server-side drop without gaps or duplicates", async () => {
    const events = await newPage("/events.html");
    eventsPage = events;
    const num = async (id) => Number(await events.textContent("#" + id));
    await events.waitForFunction(() => Number(document.getElementById("count").textContent) >= 2);
    const before = await num("count");
    const dropped = await fetch(base + "/events/drop", { method: "POST" });
    if (!dropped.ok) throw new Error("POST /events/drop answered " + dropped.status);
    await events.waitForFunction(() => Number(document.getElementById("opens").textContent) >= 2);
    await events.waitForFunction(
      (n) => Number(document.getElementById("count").textContent) >= n + 2, before);
    const gaps = await num("gaps");
    const dups = await num("dups");
    if (gaps !== 0 || dups !== 0) throw new Error(`gaps=${gaps} duplicates=${dups} after resume`);
    const id = await events.textContent("#last");
    if (!/^[0-9a-z]{8}-[1-9][0-9]*$/.test(id)) throw new Error(`the page shows id ${id}, not <epoch>-<n>`);
  });

  await check("game: two tabs share events, commands and live state over gRPC", async () => {
    const ann = await newPage("/game/e2e-game");
    await ann.fill("#player", "ann");
    await ann.click("#join");
    await logHas(ann, "l-sub", "ann joined (1 players)");
    const bob = await newPage("/game/e2e-game");
    await bob.fill("#player", "bob");
    await bob.click("#join");
    await logHas(ann, "l-sub", "bob joined (2 players)");
    await bob.click("#s-join");
    await logHas(bob, "l-sync", "connected");
    await bob.click("#s-attack");
    await logHas(bob, "l-sync", "bob: pos(0,0) HP:100 Score:10");
    await logHas(ann, "l-sub", "bob did attack");
    await ann.click("#c-connect");
    await logHas(ann, "l-cmd", "connected");
    await ann.click("#c-send");
    await ann.click("#c-send");
    await logHas(ann, "l-cmd", "sent cmd-2");
    await ann.click("#c-end");
    await logHas(ann, "l-cmd", "summary: received 2, executed 2, failed 0");
    await logHas(ann, "l-cmd", "stream end");
    await bob.click("#leave");
    await logHas(ann, "l-sub", "bob left: disconnected (1 players)");
  });

  // Last, since it replaces the server under every open page.
  await check("restart: the pages' WsClients reconnect to a new server on the same port and work", async () => {
    if (!annChat) throw new Error("the chat check did not open a chat page");
    const ann = annChat;
    await logHas(ann, "chat-status", "connected");
    const opensBefore = Number(await ann.textContent("#opens"));
    const restarted = await fetch(control + "/restart", { method: "POST" });
    if (!restarted.ok) throw new Error("POST /restart answered " + restarted.status + ": " + (await restarted.text()));
    // the old server said 1001 going away; the client backs off, retries, and gets a fresh welcome
    await ann.waitForFunction((n) => Number(document.getElementById("opens").textContent) > n, opensBefore);
    await logHas(ann, "chat-log", "reconnected");
    await logHas(ann, "chat-status", "connected");
    await ann.waitForFunction(() =>
      document.getElementById("chat-log").textContent.split("welcome ann, you are in #e2e").length >= 3);
    await ann.fill("#chat-input", "still here after the restart");
    await ann.press("#chat-input", "Enter");
    await logHas(ann, "chat-log", "ann: still here after the restart");
    // the demo page's echo client came back too
    await logHas(home, "echo-status", "connected");
    await home.fill("#echo-input", "echo after the restart");
    await home.press("#echo-input", "Enter");
    await logHas(home, "echo-log", "\u2190 echo after the restart");
  });

  // After the restart check: the new server's ids carry a new epoch, so the page's Last-Event-ID is unknown there.
  await check("sse: after the restart the events page shows a resync, then counts ticks again without gaps", async () => {
    if (!eventsPage) throw new Error("the sse check did not open the events page");
    const events = eventsPage;
    await events.waitForFunction(() => Number(document.getElementById("resyncs").textContent) >= 1);
    await logHas(events, "log", "resync: unknown or expired Last-Event-ID");
    const count = Number(await events.textContent("#count"));
    await events.waitForFunction((n) => Number(document.getElementById("count").textContent) >= n + 2, count);
    const gaps = Number(await events.textContent("#gaps"));
    const dups = Number(await events.textContent("#dups"));
    if (gaps !== 0 || dups !== 0) throw new Error(`gaps=${gaps} duplicates=${dups} after the resync`);
  });
} finally {
  await browser.close();
}

const ok = checks.length > 0 && checks.every((c) => c.ok);
console.log(JSON.stringify({ ok, checks }));
process.exit(ok ? 0 : 1);
