// Browser checks of the channels page (/channels.html, docs/channels.md "Demo") in a real Chromium driven by
// playwright-core (the system binary given as the second argument): presence of two pages, recovery of exactly the
// messages published while one page was offline, acknowledged sends, and a leave when a page closes.
// Usage: node channels-e2e.mjs <base-url> <chromium-binary> <screenshot-dir>
// Prints a JSON summary as its last line; exits 0 only if every check passed. A failing check leaves screenshots of
// the open pages in <screenshot-dir>/channels-<check number>-page-<n>.png. The checks wait on page state, never on
// fixed sleeps.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [base, executablePath, shots] = process.argv.slice(2);
if (!base || !executablePath || !shots) {
  console.error("usage: node channels-e2e.mjs <base-url> <chromium-binary> <screenshot-dir>");
  process.exit(2);
}
const checks = [];
const pages = [];
const TIMEOUT = 30_000; // generous: CI machines are slow
let failed = false;

async function check(name, fn) {
  const started = Date.now();
  if (failed) {
    checks.push({ name, ok: false, error: "skipped: an earlier check failed" });
    return;
  }
  try {
    await fn();
    checks.push({ name, ok: true, ms: Date.now() - started });
  } catch (err) {
    failed = true;
    checks.push({ name, ok: false, error: String(err && err.message ? err.message : err) });
    mkdirSync(shots, { recursive: true });
    for (const [i, page] of pages.entries()) {
      if (page.isClosed()) continue;
      await page.screenshot({ path: `${shots}/channels-${checks.length}-page-${i}.png`, fullPage: true }).catch(() => {});
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
const room = "e2e" + Date.now().toString(36);
try {
  // two contexts: two independent users
  const open = async (user) => {
    const context = await browser.newContext();
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    pages.push(page);
    await page.goto(`${base}/channels.html?user=${user}&room=${room}`);
    return page;
  };
  const members = (page) => page.$$eval("#presence li.member", (els) => els.map((e) => e.dataset.user));
  const waitMembers = (page, want) =>
    page.waitForFunction(
      (w) => JSON.stringify([...document.querySelectorAll("#presence li.member")].map((e) => e.dataset.user)) === JSON.stringify(w),
      want,
    );
  const texts = (page, selector) => page.$$eval(selector, (els) => els.map((e) => e.textContent));

  const alice = await open("alice");
  const bob = await open("bob");

  await check("presence: both pages see alice and bob", async () => {
    await waitMembers(alice, ["alice", "bob"]);
    await waitMembers(bob, ["alice", "bob"]);
  });

  await check("acked sends: a message from alice is acknowledged with its position and reaches bob", async () => {
    await alice.fill("#text", "hello bob");
    await alice.press("#text", "Enter");
    await alice.waitForSelector("#messages li.sent.ack");
    const ack = (await texts(alice, "#messages li.sent.ack"))[0];
    if (!/✓ [0-9a-z]{1,32}-\d+$/.test(ack)) throw new Error("ack without a position: " + ack);
    await bob.waitForFunction(() => [...document.querySelectorAll("#messages li.msg")].some((e) => e.textContent.endsWith("alice: hello bob")));
  });

  await check("recovery: alice drops, bob sends 5 (all acked), alice gets exactly those 5 after reconnecting", async () => {
    const before = (await texts(alice, "#messages li.msg")).length;
    await alice.click("#drop");
    await alice.waitForFunction(() => document.getElementById("status").textContent.startsWith("reconnecting"));
    for (let i = 1; i <= 5; i++) {
      await bob.fill("#text", "missed " + i);
      await bob.press("#text", "Enter");
    }
    await bob.waitForFunction(() => document.querySelectorAll("#messages li.sent.ack").length === 5);
    const acked = await texts(bob, "#messages li.sent");
    if (acked.some((t) => !t.includes("✓"))) throw new Error("not all acked: " + JSON.stringify(acked));
    const afterDrop = (await texts(alice, "#messages li.msg")).length;
    if (afterDrop !== before) throw new Error(`alice got ${afterDrop - before} messages while offline`);
    await alice.click("#online");
    await alice.waitForFunction(() => document.getElementById("recovery").textContent === "recovered 5 messages");
    const got = (await texts(alice, "#messages li.msg")).slice(before).map((t) => t.replace(/^\[[^\]]+\] /, ""));
    const want = [1, 2, 3, 4, 5].map((i) => "bob: missed " + i);
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error("alice got " + JSON.stringify(got));
    // the positions are consecutive
    const offsets = (await texts(alice, "#messages li.msg")).map((t) => Number(/^\[[0-9a-z]+-(\d+)\]/.exec(t)[1]));
    for (let i = 1; i < offsets.length; i++) {
      if (offsets[i] !== offsets[i - 1] + 1) throw new Error("offsets not consecutive: " + offsets.join(","));
    }
    await waitMembers(alice, ["alice", "bob"]);
  });

  await check("presence: bob's page closes, alice's presence drops bob", async () => {
    await bob.context().close();
    await waitMembers(alice, ["alice"]);
    const left = await members(alice);
    if (left.includes("bob")) throw new Error("bob still present");
  });
} finally {
  await browser.close();
}
console.log(JSON.stringify({ checks }));
process.exit(checks.every((c) => c.ok) ? 0 : 1);
