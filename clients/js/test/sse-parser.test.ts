import { describe, expect, it } from "vitest";
import { SseLimitError, type SseMessage, SseParser } from "../src/index.js";

function parse(chunks: string[], lastEventId = "") {
  const events: SseMessage[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const p = new SseParser({ onEvent: (e) => events.push(e), onRetry: (n) => retries.push(n), onComment: (c) => comments.push(c) }, lastEventId);
  for (const c of chunks) p.feed(c);
  p.end();
  return { events, retries, comments, parser: p };
}

describe("SseParser", () => {
  it("parses LF, CRLF and CR line ends alike", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const { events } = parse([`event: tick${eol}id: 1${eol}data: a${eol}${eol}data: b${eol}${eol}`]);
      expect(events).toEqual([
        { event: "tick", data: "a", lastEventId: "1", id: "1" },
        { event: "message", data: "b", lastEventId: "1" },
      ]);
    }
  });

  it("handles a CRLF split across chunks as one line end", () => {
    const { events } = parse(["data: a\r", "\ndata: b\r", "\n\r", "\n"]);
    expect(events).toEqual([{ event: "message", data: "a\nb", lastEventId: "" }]);
  });

  it("handles every split point of a stream", () => {
    const stream = "id: 7\r\nevent: e\r\ndata: x\r\ndata:  y\r\n\r\n: note\r\ndata: z\r\r";
    for (let i = 0; i <= stream.length; i++) {
      const { events } = parse([stream.slice(0, i), stream.slice(i)]);
      expect(events, "split at " + i).toEqual([
        { event: "e", data: "x\n y", lastEventId: "7", id: "7" },
        { event: "message", data: "z", lastEventId: "7" },
      ]);
    }
  });

  it("joins multi-line data with newlines and keeps empty data lines", () => {
    const { events } = parse(["data: one\ndata:\ndata: three\n\n", "data\n\n"]);
    expect(events.map((e) => e.data)).toEqual(["one\n\nthree", ""]);
  });

  it("strips exactly one space after the colon", () => {
    const { events } = parse(["data:no space\n\n", "data:  two spaces\n\n"]);
    expect(events.map((e) => e.data)).toEqual(["no space", " two spaces"]);
  });

  it("honours a digits-only retry and ignores others", () => {
    const { retries, events } = parse(["retry: 2000\n", "retry: 1.5\nretry: -1\nretry: 30s\nretry:\nretry: 0\n\n"]);
    expect(retries).toEqual([2000, 0]);
    expect(events).toEqual([]);
  });

  it("ignores an id containing NUL", () => {
    const { events, parser } = parse(["id: 5\ndata: a\n\n", "id: 6\u00007\ndata: b\n\n"]);
    expect(events.map((e) => e.lastEventId)).toEqual(["5", "5"]);
    expect(events[1]!.id).toBeUndefined();
    expect(parser.lastEventId).toBe("5");
  });

  it("an id-only block moves the last id without an event; an empty id resets it", () => {
    const { events, parser } = parse(["id: 9\n\n"], "3");
    expect(events).toEqual([]);
    expect(parser.lastEventId).toBe("9");
    parser.feed("id\ndata: x\n\n");
    expect(events).toEqual([{ event: "message", data: "x", lastEventId: "", id: "" }]);
  });

  it("passes comments, strips a BOM, ignores unknown fields", () => {
    const { events, comments } = parse(["\ufeff: hello\n:raw\nfoo: bar\nevent: e\ndata: d\n\n"]);
    expect(comments).toEqual(["hello", "raw"]);
    expect(events).toEqual([{ event: "e", data: "d", lastEventId: "" }]);
  });

  it("does not dispatch an event without data, and resets the type", () => {
    const { events } = parse(["event: lonely\n\ndata: x\n\n"]);
    expect(events).toEqual([{ event: "message", data: "x", lastEventId: "" }]);
  });

  it("discards an unterminated event at the end of the stream, and its id", () => {
    const { events, parser } = parse(["id: 1\ndata: complete\n\nid: 2\ndata: partial\n"]);
    parser.feed("\n");
    expect(events.map((e) => e.data)).toEqual(["complete"]);
    expect(parser.lastEventId).toBe("1");
  });

  it("an id takes effect when its block ends", () => {
    const events: SseMessage[] = [];
    const p = new SseParser({ onEvent: (e) => events.push(e) });
    p.feed("id: 3\n");
    expect(p.lastEventId).toBe("");
    p.feed("data: x\n\n");
    expect(p.lastEventId).toBe("3");
  });

  it("a BOM only counts at the very start", () => {
    const { events } = parse(["data: a\n\n", "\ufeffdata: b\n\n"]);
    expect(events.map((e) => e.data)).toEqual(["a"]); // the second line's field is "\ufeffdata": unknown
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

  it("bounds the data one event accumulates", () => {
    const p = new SseParser({ onEvent() {} }, "", { maxEventLength: 10 });
    p.feed("data: 12345\ndata: 1234\n\n"); // 5 + 1 + 4 = 10: fits
    expect(() => p.feed("data: 12345\ndata: 12345\n")).toThrow(/maxEventLength=10/);
  });

  it("refuses limits that are not positive integers", () => {
    expect(() => new SseParser({ onEvent() {} }, "", { maxLineLength: 0 })).toThrow(RangeError);
    expect(() => new SseParser({ onEvent() {} }, "", { maxEventLength: 1.5 })).toThrow(/maxEventLength must be a positive integer, got 1.5/);
  });
});
