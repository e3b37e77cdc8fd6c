import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BinaryCodec, FrameDecodeError, JsonCodec, RawCodec, WsClient, createMockWSPair } from "../src/index.js";

// Property tests of the codecs and of how WsClient reports frames a codec cannot read. Fixed
// seeds and run counts: CI runs exactly the cases a local run does.

const encoder = new TextEncoder();

/** A tight ArrayBuffer copy of `bytes`, as a binary WebSocket frame arrives. */
function frameOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

/** What JSON.parse makes of `text`, or a marker when it refuses it. */
const NOT_JSON = Symbol("not json");
function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** Text that is often almost JSON: JSON texts, cut or spliced, and arbitrary strings. */
const textArb = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.tuple(fc.jsonValue(), fc.nat()).map(([v, n]) => {
    const s = JSON.stringify(v);
    return s.slice(0, n % (s.length + 1));
  }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("{", "}", "[", "]", '"', ":", ",", "1", "e", "-", ".", " ", "\\", "u", "t", "n"), maxLength: 20 }),
);

describe("codec properties", () => {
  it("JsonCodec: decode(encode(v)) is v for every JSON value, in text and in binary frames", () => {
    // Invariant: any JSON value survives the codec, both as the text frame encode makes and as
    // the same text sent in a binary frame (UTF-8; lone surrogates are escaped by JSON.stringify,
    // so the bytes are always valid UTF-8).
    const codec = new JsonCodec();
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const frame = codec.encode(v);
        expect(typeof frame).toBe("string");
        expect(codec.decode(frame)).toEqual(v);
        expect(codec.decode(frameOf(encoder.encode(frame)))).toEqual(v);
      }),
      { numRuns: 500, seed: 0xc0de1 },
    );
  });

  it("JsonCodec: decode accepts exactly what JSON.parse accepts and otherwise throws SyntaxError", () => {
    // Invariant: for any text, decode returns JSON.parse's value or throws a SyntaxError (never
    // another error type); for any bytes, decode throws TypeError when they are not UTF-8 (the
    // strict decoder) and behaves as on the decoded text otherwise.
    const codec = new JsonCodec();
    const strict = new TextDecoder("utf-8", { fatal: true });
    fc.assert(
      fc.property(textArb, (text) => {
        const want = jsonOf(text);
        if (want === NOT_JSON) expect(() => codec.decode(text)).toThrow(SyntaxError);
        else expect(codec.decode(text)).toEqual(want);
      }),
      { numRuns: 500, seed: 0xc0de2 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), textArb.map((t) => encoder.encode(t))), (bytes) => {
        let text: string;
        try {
          text = strict.decode(bytes);
        } catch {
          expect(() => codec.decode(frameOf(bytes))).toThrow(TypeError);
          return;
        }
        const want = jsonOf(text);
        if (want === NOT_JSON) expect(() => codec.decode(frameOf(bytes))).toThrow(SyntaxError);
        else expect(codec.decode(frameOf(bytes))).toEqual(want);
      }),
      { numRuns: 500, seed: 0xc0de3 },
    );
  });

  it("JsonCodec: encode of any value gives JSON text or a TypeError", () => {
    // Invariant: encode never returns anything but a string that decodes to what JSON.parse
    // makes of JSON.stringify(value); values JSON cannot carry (undefined, functions, symbols,
    // bigints) throw a TypeError, naming the type for the ones JSON.stringify silently drops.
    const codec = new JsonCodec();
    fc.assert(
      fc.property(
        fc.oneof(fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true }), fc.constantFrom(undefined, () => 1, Symbol("s"))),
        (v) => {
          let frame: string;
          try {
            frame = codec.encode(v);
          } catch (err) {
            expect(err).toBeInstanceOf(TypeError);
            if (v === undefined || typeof v === "function" || typeof v === "symbol") {
              expect((err as Error).message).toBe("JsonCodec cannot encode " + typeof v);
            }
            return;
          }
          expect(typeof frame).toBe("string");
          expect(codec.decode(frame)).toEqual(JSON.parse(JSON.stringify(v)));
        },
      ),
      { numRuns: 500, seed: 0xc0de4 },
    );
  });

  it("BinaryCodec: bytes round trip, a view's own bytes only; a text frame is the documented TypeError", () => {
    // Invariant: with identity byte functions, decode(encode(view)) holds exactly the bytes of
    // the view, even when the view covers only part of a larger buffer (encode makes a tight
    // copy); any text frame throws TypeError "BinaryCodec received a text frame, expected binary".
    const codec = new BinaryCodec<Uint8Array, Uint8Array>(
      (b) => b,
      (m) => m,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.nat(), fc.string({ maxLength: 10 }), (all, a, b, text) => {
        const from = a % (all.length + 1);
        const to = from + (b % (all.length - from + 1));
        const view = all.subarray(from, to);
        const frame = codec.encode(view);
        expect(frame.byteLength).toBe(view.byteLength);
        expect([...codec.decode(frame)]).toEqual([...view]);
        expect(() => codec.decode(text)).toThrow(new TypeError("BinaryCodec received a text frame, expected binary"));
      }),
      { numRuns: 300, seed: 0xc0de5 },
    );
  });

  it("RawCodec: strings and bytes pass unchanged, anything else is the documented TypeError", () => {
    // Invariant: decode is the identity on frames; encode returns strings, ArrayBuffers and
    // typed arrays as given and throws TypeError "RawCodec sends strings, ArrayBuffers or typed
    // arrays, got <type>" for everything else.
    const codec = new RawCodec();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.uint8Array().map(frameOf), fc.uint8Array(), fc.anything()), (v) => {
        const ok = typeof v === "string" || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
        if (ok) {
          expect(codec.encode(v as string)).toBe(v);
          expect(codec.decode(v as string)).toBe(v);
        } else {
          expect(() => codec.encode(v as string)).toThrow(new TypeError("RawCodec sends strings, ArrayBuffers or typed arrays, got " + typeof v));
        }
      }),
      { numRuns: 300, seed: 0xc0de6 },
    );
  });

  it("WsClient: any frame becomes a message, a ping or a 'cannot decode' error, and the socket stays open", () => {
    // Invariant: for any sequence of text and binary frames on an open socket with the JSON
    // codec, nothing throws out of the socket's onmessage; each frame yields exactly one of: a
    // `message` equal to JSON.parse of its text, a `ping` (text frames that are JSON objects with
    // type "ping", answered with a pong when pingId is a number), or a FrameDecodeError `error`
    // whose message starts "cannot decode a text|binary frame with the json codec"; the client stays open.
    const frameArb = fc.oneof(
      textArb,
      fc.record({ type: fc.constantFrom("ping", "pong", "data"), pingId: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })) }, { requiredKeys: ["type"] }).map((o) => JSON.stringify(o)),
      fc.uint8Array({ maxLength: 40 }).map(frameOf),
      textArb.map((t) => frameOf(encoder.encode(t))),
    );
    const strict = new TextDecoder("utf-8", { fatal: true });
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 10 }), (frames) => {
        const { WebSocket, controller } = createMockWSPair();
        const client = new WsClient("ws://test/p", { WebSocket, connectTimeout: 0, reconnect: false });
        const seen: string[] = [];
        client.on("message", (m) => seen.push("message " + JSON.stringify(m)));
        client.on("ping", (p) => seen.push("ping " + JSON.stringify(p.message)));
        client.on("error", (e) => seen.push((e instanceof FrameDecodeError ? "error " : "other error ") + e.message));
        void client.connect();
        controller.simulateOpen();
        const expected: RegExp[] = [];
        const pongs: string[] = [];
        for (const f of frames) {
          controller.simulateRawMessage(f);
          const binary = typeof f !== "string";
          let text: string | null;
          try {
            text = binary ? strict.decode(new Uint8Array(f)) : f;
          } catch {
            text = null;
          }
          const v = text === null ? NOT_JSON : jsonOf(text);
          const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          if (v === NOT_JSON) {
            expected.push(new RegExp(`^error cannot decode a ${binary ? "binary" : "text"} frame with the json codec `));
          } else if (!binary && v !== null && typeof v === "object" && !Array.isArray(v) && (v as { type?: unknown }).type === "ping") {
            expected.push(new RegExp("^" + escape("ping " + JSON.stringify(v)) + "$"));
            const id = (v as { pingId?: unknown }).pingId;
            if (typeof id === "number") pongs.push(JSON.stringify({ type: "pong", pingId: id }));
          } else {
            expected.push(new RegExp("^" + escape("message " + JSON.stringify(v)) + "$"));
          }
        }
        expect(seen).toHaveLength(expected.length);
        seen.forEach((s, i) => expect(s).toMatch(expected[i]!));
        expect(controller.sentRaw).toEqual(pongs);
        expect(client.state).toBe("open");
        client.close();
      }),
      { numRuns: 300, seed: 0xc0de7 },
    );
  });
});
