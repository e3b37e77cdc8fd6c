// The check harness shared by the Node `ws` scripts (ws-interop.mjs, ws-deflate.mjs): named checks, one JSON
// summary on stdout ({"ok":bool,"node":..,"ws":..,"checks":[{"name","ok","detail"}]}), exit 0 only if every check
// passed, an overall deadline, and a per-step timeout.
import { createRequire } from "node:module";

const wsVersion = createRequire(import.meta.url)("ws/package.json").version;

/** A harness whose run ends as failed if it has not finished within `overallTimeoutMs`. */
export function harness({ stepTimeoutMs, overallTimeoutMs }) {
  const checks = [];

  function finish() {
    const ok = checks.length > 0 && checks.every((c) => c.ok);
    console.log(JSON.stringify({ ok, node: process.version, ws: wsVersion, checks }));
    process.exit(ok ? 0 : 1);
  }

  setTimeout(() => {
    checks.push({ name: "overall", ok: false, detail: `not finished within ${overallTimeoutMs} ms` });
    finish();
  }, overallTimeoutMs).unref();

  /** Runs one named check; a thrown error or a failed expectation marks it failed. Returns whether it passed. */
  async function check(name, body) {
    try {
      const detail = await body();
      checks.push({ name, ok: true, ...(detail === undefined ? {} : { detail }) });
      return true;
    } catch (e) {
      checks.push({ name, ok: false, detail: String(e && e.message ? e.message : e) });
      return false;
    }
  }

  /** `promise`, or a rejection naming `what` after the step timeout. */
  function withTimeout(promise, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), stepTimeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  return { checks, check, finish, withTimeout };
}

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}
