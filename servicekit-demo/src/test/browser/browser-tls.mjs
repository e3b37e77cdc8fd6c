// The demo over HTTPS in a real Chromium: the page, an EventSource and a WebSocket must all ride HTTP/2 (the
// WebSocket by RFC 8441 extended CONNECT, which answers 200 where an HTTP/1.1 upgrade answers 101).
// Usage: node browser-tls.mjs <https-base-url> <chromium-binary> <control-url>
// <control-url>/connections answers the protocols of the server's open TLS connections (asked while everything
// is open). Prints one JSON object; exits 0 only if every check passed. Waits on page state, never on sleeps.
import { chromium } from "playwright-core";

const [base, executablePath, control] = process.argv.slice(2);
if (!base || !executablePath || !control) {
  console.error("usage: node browser-tls.mjs <https-base-url> <chromium-binary> <control-url>");
  process.exit(2);
}
const TIMEOUT = 30_000;
const result = { checks: [] };
const check = (name, ok, detail) => result.checks.push({ name, ok: Boolean(ok), detail });

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
});
try {
  // The demo's certificate is self-signed: this context accepts it, as a developer who trusted it would.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const responses = new Map(); // url -> { protocol, mimeType }
  cdp.on("Network.responseReceived", (e) =>
    responses.set(e.response.url, { protocol: e.response.protocol, mimeType: e.response.mimeType }),
  );
  const wsHandshakes = [];
  cdp.on("Network.webSocketHandshakeResponseReceived", (e) =>
    wsHandshakes.push({ status: e.response.status, statusText: e.response.statusText }),
  );

  await page.goto(base + "/events.html");
  const nav = await page.evaluate(() => performance.getEntriesByType("navigation")[0].nextHopProtocol);
  check("the page came over HTTP/2", nav === "h2", { nextHopProtocol: nav });

  const sse = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const es = new EventSource("/events");
        window.__es = es; // kept open until the end
        es.addEventListener("tick", (e) => resolve({ id: e.lastEventId, data: e.data }), { once: true });
        es.onerror = () => reject(new Error("EventSource error, readyState " + es.readyState));
      }),
  );
  const sseResponse = [...responses.entries()].find(([url]) => url.endsWith("/events"));
  check("EventSource got a tick", /^[0-9a-z]{8}-[0-9]+$/.test(sse.id) && JSON.parse(sse.data).seq >= 1, sse);
  check("EventSource rode HTTP/2", sseResponse && sseResponse[1].protocol === "h2", sseResponse?.[1]);

  const echo = await page.evaluate(
    (url) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        window.__ws = ws;
        ws.onopen = () => ws.send("over h2?");
        ws.onmessage = (e) => resolve(String(e.data));
        ws.onerror = () => reject(new Error("WebSocket error"));
      }),
    base.replace(/^https:/, "wss:") + "/echo",
  );
  check("wss echo came back", echo === "over h2?", { echo });
  check(
    "the WebSocket opened by RFC 8441 (extended CONNECT answered 200, not a 101 upgrade)",
    wsHandshakes.length === 1 && wsHandshakes[0].status === 200,
    wsHandshakes,
  );

  // The demo's home page: its bundled JavaScript WsClient connects to wss:// unchanged (the URL follows the page).
  await page.goto(base + "/");
  await page.waitForFunction(() => document.getElementById("echo-status").textContent === "connected");
  await page.fill("#echo-input", "hello over wss");
  await page.press("#echo-input", "Enter");
  await page.waitForFunction(() => document.getElementById("echo-log").textContent.includes("\u2190 hello over wss"));
  check("the page's JavaScript WsClient echoes over wss", true, { handshakes: wsHandshakes.length });

  const server = await (await fetch(control + "/connections")).json();
  check(
    "every open TLS connection on the server is HTTP/2",
    server.protocols.length >= 1 && server.protocols.every((p) => p === "h2"),
    server,
  );
  check(
    "every WebSocket of the run (raw and WsClient) opened by RFC 8441",
    wsHandshakes.length >= 2 && wsHandshakes.every((h) => h.status === 200),
    wsHandshakes,
  );
} catch (err) {
  check("ran to the end", false, String(err && err.message ? err.message : err));
} finally {
  await browser.close();
}
result.ok = result.checks.every((c) => c.ok);
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
