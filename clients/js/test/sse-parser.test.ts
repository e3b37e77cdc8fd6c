import { describe, expect, it } from "vitest";
import { SseLimitError, type SseMessage, SseParser } from "../src/index.js";

// The spec rules themselves are the shared vectors (sse-parser.vectors.test.ts); here what they cannot say.
describe("SseParser", () => {
  it("an id takes effect when its block ends", () => {
    const events: SseMessage[] = [];
    const p = new SseParser({ onEvent: (e) => events.push(e) });
    p.feed("id: 3\n");
    expect(p.lastEventId).toBe("");
    p.feed("data: x\n\n");
    expect(p.lastEventId).toBe("3");
  });

  it("bounds a line waiting for its end, however it is chunked", () => {
    const events: SseMessage[] = [];
    const p = new SseParser({ onEvent: (e) => events.push(e) }, "", { maxLineLength: 100 });
    p.feed("data: ok\n\n");
    p.feed("data: " + "x".repeat(50));
    expect(() => {
      for (let i = 0; i < 10; i++) p.feed("y".repeat(10));
    }).toThrow(SseLimitError);
    expect(() => p.feed("data: " + "z".repeat(200) + "\n")).toThrow(/maxLineLength=100/);
    expect(events.map((e) => e.data)).toEqual(["ok"]);
  });

  it("a line of exactly the limit passes, split at every CR/LF boundary", () => {
    const line = "data: " + "a".repeat(94); // 100 code units
    for (const eol of ["\n", "\r\n", "\r"]) {
      const events: SseMessage[] = [];
      const p = new SseParser({ onEvent: (e) => events.push(e) }, "", { maxLineLength: 100 });
      for (const ch of line + eol + eol) p.feed(ch); // one code unit at a time
      p.end();
      expect(events.map((e) => e.data.length)).toEqual([94]);
    }
  });

  it("refuses limits that are not positive integers", () => {
    expect(() => new SseParser({ onEvent() {} }, "", { maxLineLength: 0 })).toThrow(RangeError);
    expect(() => new SseParser({ onEvent() {} }, "", { maxEventLength: 1.5 })).toThrow(/maxEventLength must be a positive integer, got 1.5/);
  });
});