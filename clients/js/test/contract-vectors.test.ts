import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import {
  RETRYABLE_CLOSE_CODES,
  SendQueueFullError,
  WsClient,
  backoffDelay,
  createMockWSPair,
  isRetryableClose,
  parseRetryAfter,
  resolveBackoff,
} from "../src/index.js";

// The client contract of docs/clients.md, as data shared with servicekit-client's
// ClientContractVectorsTest: both read test-vectors/clients/*.json at the repository root.

function vectors<T>(name: string): T {
  const url = new URL(`../../../test-vectors/clients/${name}`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), "utf8")) as T;
}

interface CloseCodes {
  defaultRetryable: number[];
  default: { code: number; retry: boolean; why: string }[];
  optIn: { retryableCloseCodes: number[]; cases: { code: number; retry: boolean }[] };
}

interface Backoff {
  cases: { attempt: number; random: number; base: number; cap: number; factor: number; floor?: number; delay: number; note?: string }[];
}

interface Queue {
  defaultBound: number;
  cases: { bound: number | null; sends: number; accepted: number; refused: number; closeDropped: number }[];
}

const closeCodes = vectors<CloseCodes>("close-codes.json");
const queue = vectors<Queue>("queue.json");
const backoff = vectors<Backoff>("backoff.json");

describe("the client contract: close codes (test-vectors/clients/close-codes.json)", () => {
  it("the default retryable set is the one of the vectors", () => {
    expect([...RETRYABLE_CLOSE_CODES].sort((a, b) => a - b)).toEqual(closeCodes.defaultRetryable);
  });

  it.each(closeCodes.default)("close $code retries: $retry ($why)", ({ code, retry }) => {
    expect(isRetryableClose(code)).toBe(retry);
  });

  it.each(closeCodes.optIn.cases)("opted-in set: close $code retries: $retry", ({ code, retry }) => {
    expect(isRetryableClose(code, closeCodes.optIn.retryableCloseCodes)).toBe(retry);
  });

  it("a WsClient does what the vectors say when a server closes an open socket", () => {
    vi.useFakeTimers();
    try {
      for (const { code, retry } of closeCodes.default) {
        const { WebSocket, controller } = createMockWSPair();
        const client = new WsClient("ws://test/vectors", { WebSocket, reconnect: { initialDelay: 10, random: () => 0 } });
        const closes: { willReconnect: boolean }[] = [];
        client.on("close", (e) => closes.push(e));
        client.connect().catch(() => {});
        controller.simulateOpen();
        controller.simulateClose(code, "vector");
        expect(closes, `close ${code}`).toEqual([expect.objectContaining({ code, willReconnect: retry })]);
        vi.advanceTimersByTime(10);
        expect(controller.sockets.length, `close ${code}: sockets`).toBe(retry ? 2 : 1);
        client.close();
      }
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the client contract: backoff (test-vectors/clients/backoff.json)", () => {
  it.each(backoff.cases)("attempt $attempt, random $random, base $base, cap $cap, factor $factor, floor $floor -> $delay", (c) => {
    const options = resolveBackoff({ initialDelay: c.base, maxDelay: c.cap, factor: c.factor, random: () => c.random });
    expect(backoffDelay(c.attempt, options, c.floor ?? 0)).toBe(c.delay);
  });

  it("attempts are 1-based: 0 is refused with the rule", () => {
    expect(() => backoffDelay(0, resolveBackoff({}))).toThrow("backoff attempt must be an integer >= 1 (1-based), got 0");
  });

  it("Retry-After: delta-seconds or an HTTP date, else 0", () => {
    const now = Date.parse("Mon, 07 Dec 2026 14:00:00 GMT");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 3 ", now)).toBe(3000);
    expect(parseRetryAfter("Mon, 07 Dec 2026 14:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Mon, 07 Dec 2026 13:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBe(0);
    expect(parseRetryAfter("-5", now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBe(0);
  });
});

describe("the client contract: the send queue (test-vectors/clients/queue.json)", () => {
  it.each(queue.cases)("bound $bound, $sends sends while connecting: $accepted held, $refused refused, close() drops $closeDropped", (c) => {
    const { WebSocket, controller } = createMockWSPair();
    const client = new WsClient("ws://test/queue", { WebSocket, ...(c.bound === null ? {} : { maxQueue: c.bound }) });
    const closes: { dropped: number; willReconnect: boolean }[] = [];
    client.on("close", (e) => closes.push(e));
    client.connect().catch(() => {});
    expect(client.state).toBe("connecting");
    let refused = 0;
    for (let i = 0; i < c.sends; i++) {
      try {
        client.send({ n: i });
      } catch (e) {
        expect(e).toBeInstanceOf(SendQueueFullError);
        expect((e as Error).message).toContain(`maxQueue=${c.bound ?? queue.defaultBound}`);
        refused++;
      }
    }
    expect(client.queued).toBe(c.accepted);
    expect(refused).toBe(c.refused);
    client.close();
    expect(closes).toEqual([expect.objectContaining({ dropped: c.closeDropped, willReconnect: false })]);
    expect(controller.sockets[0]!.sent).toEqual([]); // nothing held reached a socket
  });
});
