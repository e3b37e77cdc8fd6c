import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type SseMessage, SseParser } from "../src/index.js";
import { readText } from "../src/sse-client.js";

// Property tests of the SSE parser. Every property has a fixed seed and run count, so a CI run
// sees exactly the cases a local run sees; a failure prints the shrunk counterexample.

/** What a parser reported, in order. */
interface Parsed {
  events: SseMessage[];
  retries: number[];
  comments: string[];
  lastEventId: string;
}

function collector(lastEventId = ""): { parser: SseParser; result: () => Parsed } {
  const events: SseMessage[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = new SseParser(
    { onEvent: (e) => events.push(e), onRetry: (n) => retries.push(n), onComment: (c) => comments.push(c) },
    lastEventId,
  );
  return { parser, result: () => ({ events, retries, comments, lastEventId: parser.lastEventId }) };
}

function parseChunks(chunks: string[]): Parsed {
  const { parser, result } = collector();
  for (const c of chunks) parser.feed(c);
  parser.end();
  return result();
}

/** Cuts `text` at the given offsets (taken modulo its length, any order, duplicates allowed). */
function cut<T extends { length: number; slice(a: number, b?: number): T }>(text: T, offsets: number[]): T[] {
  const at = [...new Set(offsets.map((o) => (text.length === 0 ? 0 : o % (text.length + 1))))].sort((a, b) => a - b);
  const pieces: T[] = [];
  let start = 0;
  for (const o of at) {
    pieces.push(text.slice(start, o));
    start = o;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** Characters that matter to the parser, mixed with arbitrary code points (astral ones too). */
const sseChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("\n", "\r", ":", " ", "\u0000", "\uFEFF", "é", "€", "😀", "d", "a", "t", "i", "e", "v", "n", "r", "y", "1") },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);
const noLineEnd = (s: string) => s.replace(/[\r\n]/g, "");

/** Text that looks like an event stream: real field lines, line ends of every kind, and junk. */
const streamText = fc
  .array(
    fc.oneof(
      fc.constantFrom("data:", "data: x", "data:  y", "id: 1", "id", "id:\u0000", "event: e", "event:", "retry: 10", "retry: 1x", ": c", ":"),
      fc.constantFrom("\n", "\r", "\r\n", "\n\n", "\r\r", "\r\n\r\n", "\uFEFF"),
      fc.string({ unit: sseChar, maxLength: 8 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

/** One event as an application would write it. */
interface Ev {
  comment?: string;
  retry?: number;
  event?: string;
  id?: string;
  data: string;
  /** Lines the parser must ignore: an id with NUL, a retry that is not all digits, unknown fields. */
  ignored?: string[];
}

const ignoredLineArb = fc.oneof(
  fc.tuple(fc.string({ unit: sseChar, maxLength: 3 }), fc.string({ unit: sseChar, maxLength: 3 })).map(([a, b]) => "id: " + noLineEnd(a) + "\u0000" + noLineEnd(b)),
  fc.string({ unit: sseChar, maxLength: 4 }).map((v) => noLineEnd(v)).filter((v) => !/^ ?[0-9]+$/.test(v)).map((v) => "retry:" + v),
  fc.tuple(fc.string({ unit: sseChar, minLength: 1, maxLength: 5 }), fc.string({ unit: sseChar, maxLength: 4 }))
    .map(([f, v]) => [noLineEnd(f).replace(/:/g, ""), noLineEnd(v)] as const)
    // (a leading BOM would be stripped at the start of the stream, turning "\uFEFFdata" into data)
    .filter(([f]) => f !== "" && !f.startsWith("\uFEFF") && !["data", "event", "id", "retry"].includes(f))
    .map(([f, v]) => f + ": " + v),
);

const evArb: fc.Arbitrary<Ev> = fc.record(
  {
    comment: fc.string({ unit: sseChar, maxLength: 6 }).map(noLineEnd),
    retry: fc.nat({ max: 1_000_000 }),
    event: fc.string({ unit: sseChar, maxLength: 6 }).map(noLineEnd),
    id: fc.string({ unit: sseChar, maxLength: 6 }).map((s) => noLineEnd(s).replace(/\u0000/g, "")),
    // embedded LFs become several data lines; CR cannot be carried by the format
    data: fc.string({ unit: sseChar, maxLength: 12 }).map((s) => s.replace(/\r/g, "")),
    ignored: fc.array(ignoredLineArb, { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: ["data"] },
);

const eolArb = fc.constantFrom("\n", "\r\n", "\r");

/** Writes `events` per the WHATWG event-stream format, with line ends and `: ` vs `:` chosen by `style`. */
function format(events: Ev[], style: { eols: string[]; spaced: boolean[] }, bom: boolean): string {
  let i = 0;
  let previous = "";
  const eol = () => {
    let e = style.eols[i++ % style.eols.length]!;
    // a bare CR followed by a line starting with LF would read as one CRLF: a writer avoids it
    if (previous === "\r" && e.startsWith("\n")) e = "\r";
    previous = e;
    return e;
  };
  const field = (name: string, value: string) => {
    // one space after the colon is dropped by the parser, so a value starting with a space needs it
    const spaced = value.startsWith(" ") || style.spaced[i % style.spaced.length]!;
    return name + (spaced ? ": " : ":") + value + eol();
  };
  let out = bom ? "\uFEFF" : "";
  for (const e of events) {
    if (e.comment !== undefined) out += ":" + e.comment + eol();
    if (e.retry !== undefined) out += field("retry", String(e.retry));
    if (e.event !== undefined) out += field("event", e.event);
    if (e.id !== undefined) out += field("id", e.id);
    for (const line of e.ignored ?? []) out += line + eol();
    for (const line of e.data.split("\n")) out += field("data", line);
    out += eol();
  }
  return out;
}

const styleArb = fc.record({ eols: fc.array(eolArb, { minLength: 1, maxLength: 5 }), spaced: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }) });

describe("SseParser properties", () => {
  it("format then parse gives back the events, retries and comments", () => {
    // Invariant: for any events written per the WHATWG rules (any mix of LF, CRLF and CR line
    // ends, `field:value` or `field: value`, an optional leading BOM), the parser dispatches
    // exactly those events in order, lines it must ignore (an id with NUL, a retry that is not
    // all digits, unknown fields) changing nothing: (event type "message" when none or empty, data lines joined
    // with "\n", id and lastEventId as sent), reports every retry and every comment (without the
    // colon and one leading space).
    fc.assert(
      fc.property(fc.array(evArb, { maxLength: 8 }), styleArb, fc.boolean(), (events, style, bom) => {
        const got = parseChunks([format(events, style, bom)]);
        let lastId = "";
        const expected: SseMessage[] = events.map((e) => {
          if (e.id !== undefined) lastId = e.id;
          const m: SseMessage = { event: e.event ? e.event : "message", data: e.data, lastEventId: lastId };
          if (e.id !== undefined) m.id = e.id;
          return m;
        });
        expect(got.events).toEqual(expected);
        expect(got.retries).toEqual(events.filter((e) => e.retry !== undefined).map((e) => e.retry));
        expect(got.comments).toEqual(
          events.filter((e) => e.comment !== undefined).map((e) => (e.comment!.startsWith(" ") ? e.comment!.slice(1) : e.comment)),
        );
        expect(got.lastEventId).toBe(lastId);
      }),
      { numRuns: 300, seed: 0x55e1 },
    );
  });

  it("feeding text in any chunks gives what feeding it whole gives", () => {
    // Invariant: the parser's output depends on the text only, not on where the chunks end:
    // splitting anywhere (between CR and LF, inside a surrogate pair, into empty chunks) gives
    // the same events, retries, comments and last event id as one feed.
    fc.assert(
      fc.property(
        fc.oneof(streamText, fc.string({ unit: sseChar, maxLength: 60 })),
        fc.array(fc.nat(), { maxLength: 12 }),
        (text, offsets) => {
          expect(parseChunks(cut(text, offsets))).toEqual(parseChunks([text]));
        },
      ),
      { numRuns: 500, seed: 0x55e2 },
    );
  });

  it("bytes split anywhere, even inside a UTF-8 sequence, decode and parse like the whole body", async () => {
    // Invariant: the SSE clients' byte path (readText: a streaming UTF-8 decoder feeding the
    // parser) gives the same result whatever the network chunking, for valid UTF-8 with
    // multi-byte characters and for arbitrary bytes (invalid sequences become U+FFFD either way).
    const encoder = new TextEncoder();
    const bytesArb = fc.oneof(
      streamText.map((t) => encoder.encode(t)),
      fc.uint8Array({ maxLength: 80 }),
    );
    const viaBytes = async (chunks: Uint8Array[]): Promise<Parsed> => {
      const { parser, result } = collector();
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (const chunk of chunks) c.enqueue(chunk);
          c.close();
        },
      });
      await readText(body, (t) => parser.feed(t));
      parser.end();
      return result();
    };
    await fc.assert(
      fc.asyncProperty(bytesArb, fc.array(fc.nat(), { maxLength: 12 }), async (bytes, offsets) => {
        const whole = await viaBytes([bytes]);
        expect(await viaBytes(cut(bytes, offsets))).toEqual(whole);
      }),
      { numRuns: 200, seed: 0x55e3 },
    );
  });

  it("arbitrary input never throws", () => {
    // Invariant: no text (any code units, lone surrogates, NULs, BOMs anywhere), fed in any
    // chunks and ended, makes the parser throw; every dispatched event has a non-empty type.
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.oneof(sseChar, fc.string({ unit: "binary", maxLength: 3 })), maxLength: 30 }), { maxLength: 8 }), (chunks) => {
        const got = parseChunks(chunks);
        for (const e of got.events) expect(e.event).not.toBe("");
      }),
      { numRuns: 500, seed: 0x55e4 },
    );
  });

  it("keeps only the unterminated tail of the input", () => {
    // Invariant (memory): after any feed the parser's line buffer holds only the text after the
    // last complete line end (plus a trailing CR that may start a CRLF), so dispatched events are
    // not retained. The parser has no size cap: one endless line, or data lines without a blank
    // line, still grow without bound (see the report; the server is trusted to end its lines).
    fc.assert(
      fc.property(fc.array(streamText, { maxLength: 6 }), (chunks) => {
        const { parser } = collector();
        let text = "";
        for (const c of chunks) {
          parser.feed(c);
          text += c;
          const buffered = (parser as unknown as { buffer: string }).buffer;
          // a trailing CR may be the first half of a CRLF: it stays buffered with its line
          const complete = text.endsWith("\r") ? text.slice(0, -1) : text;
          const lastEnd = Math.max(complete.lastIndexOf("\n"), complete.lastIndexOf("\r"));
          expect(buffered.length).toBeLessThanOrEqual(text.length - (lastEnd + 1));
        }
      }),
      { numRuns: 300, seed: 0x55e5 },
    );
  });
});
