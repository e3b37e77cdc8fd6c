// Browser end-to-end checks of the ServiceKit demo (including the gRPC game) in a real Chromium (no browser download:
// playwright-core drives the system binary given as the second argument).
// Usage: node browser-e2e.mjs <base-url> <chromium-binary> <screenshot-dir>
// Prints a JSON summary; exits 0 only if every check passed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [base, executablePath, shots] = process.argv.slice(2);
if (!base || !executablePath || !shots) {
  console.error("usage: node browser-e2e.mjs <base-url> <chromium-binary> <screenshot-dir>");
  process.exit(2);
}
const checks = [];
const pages = [];
const TIMEOUT = 15_000;

async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    checks.push({ name, ok: true, ms: Date.now() - started });
  } catch (err) {
    checks.push({ name, ok: false, error: String(err && err.message ? err.message : err) });
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

  await check("echo: text typed in the page comes back", async () => {
    await home.fill("#echo-input", "hello from chromium");
    await home.press("#echo-input", "Enter");
    await logHas(home, "echo-log", "\u2190 hello from chromium");
  });

  await check("echo: binary frames round-trip byte for byte", async () => {
    const ok = await home.evaluate(async () => {
      const url = "ws://" + location.host + "/echo";
      const ws = new WebSocket(url);
      ws.binaryType = "arraybuffer";
      await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
      const sent = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
      const reply = new Promise((resolve) => { ws.onmessage = (e) => resolve(new Uint8Array(e.data)); });
      ws.send(sent);
      const got = await reply;
      ws.close(1000);
      return got.length === sent.length && got.every((b, i) => b === sent[i]);
    });
    if (!ok) throw new Error("binary echo differed");
  });

  await check("chat: two pages in one room see each other", async () => {
    const ann = home;
    await ann.fill("#chat-username", "ann");
    await ann.fill("#chat-room", "e2e");
    await ann.click("#chat-connect-button");
    await logHas(ann, "chat-log", "welcome ann");
    const bob = await newPage("/");
    await bob.fill("#chat-username", "bob");
    await bob.fill("#chat-room", "e2e");
    await bob.click("#chat-connect-button");
    await logHas(bob, "chat-log", "welcome bob");
    await logHas(ann, "chat-log", "bob joined #e2e");
    await bob.fill("#chat-input", "hi ann");
    await bob.press("#chat-input", "Enter");
    await logHas(ann, "chat-log", "bob: hi ann");
    await logHas(bob, "chat-log", "bob: hi ann");
    await bob.click("#chat-connect-button"); // disconnect
    await logHas(ann, "chat-log", "bob left #e2e");
  });

  await check("time: the clock ticks and a publish reaches the page", async () => {
    await home.waitForFunction(() => document.getElementById("time-now").textContent.includes("T"));
    const first = await home.textContent("#time-now");
    await home.waitForFunction((t) => document.getElementById("time-now").textContent !== t, first);
    await home.fill("#publish-input", "news for everyone");
    await home.press("#publish-input", "Enter");
    await logHas(home, "time-log", "published: news for everyone");
  });

  await check("sse: the events page survives a server-side drop without gaps or duplicates", async () => {
    const events = await newPage("/events.html");
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
} finally {
  if (checks.some((c) => !c.ok)) {
    mkdirSync(shots, { recursive: true });
    for (const [i, page] of pages.entries()) {
      await page.screenshot({ path: `${shots}/page-${i}.png`, fullPage: true }).catch(() => {});
    }
  }
  await browser.close();
}

const ok = checks.length > 0 && checks.every((c) => c.ok);
console.log(JSON.stringify({ ok, checks }));
process.exit(ok ? 0 : 1);
