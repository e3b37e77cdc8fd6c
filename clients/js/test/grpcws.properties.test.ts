import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type GrpcWsError, createMockGrpcWsClient } from "../src/index.js";

// Property test of GrpcWsClient's envelope handling, through the mock socket (the envelope
// dispatch is not a separate pure function). Fixed seed and run count.

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });

function jsonOf(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Envelope-like objects: known and unknown types, fields of the right and of the wrong kind. */
const envelopeArb = fc.record(
  {
    type: fc.oneof(
      fc.constantFrom("data", "error", "stream_end", "ping", "pong", "cancel", "end_send", "DATA", ""),
      fc.string({ maxLength: 6 }),
      fc.jsonValue(),
    ),
    data: fc.jsonValue(),
    error: fc.oneof(fc.string({ maxLength: 8 }), fc.jsonValue()),
    code: fc.oneof(fc.constantFrom("NOT_FOUND", "INTERNAL", "UNAVAILABLE"), fc.jsonValue()),
    pingId: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
  },
  { requiredKeys: [] },
);

const frameArb: fc.Arbitrary<string | ArrayBuffer> = fc.oneof(
  { weight: 4, arbitrary: envelopeArb.map((e) => JSON.stringify(e)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 1, arbitrary: envelopeArb.map((e) => encoder.encode(JSON.stringify(e)).buffer as ArrayBuffer) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }).map((b) => b.buffer as ArrayBuffer) },
);

type Seen =
  | { kind: "data"; data: unknown }
  | { kind: "streamEnd" }
  | { kind: "ping"; pingId: number | undefined }
  | { kind: "error"; source: GrpcWsError["source"]; code: unknown; message: string };

/** What the documented contract says one frame on an open socket gives (nothing for a pong). */
function expectedOf(frame: string | ArrayBuffer): Seen | null {
  let text: string | null;
  try {
    text = typeof frame === "string" ? frame : strict.decode(new Uint8Array(frame));
  } catch {
    text = null;
  }
  const parsed = text === null ? { ok: false as const } : jsonOf(text);
  if (!parsed.ok) return { kind: "error", source: "protocol", code: undefined, message: "" }; // not an envelope
  const m = parsed.value as Record<string, unknown> | null;
  const isObject = m !== null && typeof m === "object" && !Array.isArray(m);
  if (typeof frame === "string" && isObject && m.type === "ping") {
    return { kind: "ping", pingId: typeof m.pingId === "number" ? m.pingId : undefined };
  }
  if (!isObject || typeof m.type !== "string") return { kind: "error", source: "protocol", code: undefined, message: "not a grpcws envelope" };
  switch (m.type) {
    case "data":
      return { kind: "data", data: m.data };
    case "stream_end":
      return { kind: "streamEnd" };
    case "error":
      return {
        kind: "error",
        source: "server",
        code: typeof m.code === "string" ? m.code : undefined,
        message: typeof m.error === "string" ? m.error : m.error == null ? "unknown error" : shortJson(m.error),
      };
    case "pong":
      return null;
    default:
      return { kind: "error", source: "protocol", code: undefined, message: "unknown grpcws envelope type: " + JSON.stringify(m.type) };
  }
}

function shortJson(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 80) + "..." : s;
}

describe("GrpcWsClient properties", () => {
  it("any server frame is a data, stream end, ping or documented error event and never throws", () => {
    // Invariant: on an open call, no frame (envelopes with any type and field values, other
    // JSON, non-JSON text, invalid UTF-8 in binary frames) throws out of the socket's onmessage;
    // each frame gives exactly the event the docs name: `data` with the payload, `streamEnd`
    // (and streamEnded becomes true), `ping` (answered), nothing for `pong`, a `server` error
    // with the message and a string `code` (or none) for `error`, and a `protocol` error for
    // unknown types and for anything that is not an envelope. The socket stays open.
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 12 }), (frames) => {
        const seen: Seen[] = [];
        const { client, controller } = createMockGrpcWsClient("ws://mock/p", {
          connectTimeout: 0,
          onData: (data) => seen.push({ kind: "data", data }),
          onStreamEnd: () => seen.push({ kind: "streamEnd" }),
          onPing: (p) => seen.push({ kind: "ping", pingId: p.pingId }),
          onError: (e) => seen.push({ kind: "error", source: e.source, code: e.code, message: e.message }),
        });
        void client.connect();
        controller.simulateOpen();
        const expected: Seen[] = [];
        for (const f of frames) {
          controller.simulateRawMessage(f);
          const e = expectedOf(f);
          if (e) expected.push(e);
        }
        expect(seen.length).toBe(expected.length);
        seen.forEach((s, i) => {
          const e = expected[i]!;
          if (e.kind === "error" && s.kind === "error") {
            expect({ source: s.source, code: s.code }).toEqual({ source: e.source, code: e.code });
            expect(typeof s.message).toBe("string");
            if (e.source === "server") expect(s.message).toBe(e.message);
            else expect(s.message.startsWith(e.message)).toBe(true);
          } else {
            expect(s).toEqual(e);
          }
        });
        expect(client.streamEnded).toBe(expected.some((e) => e.kind === "streamEnd"));
        expect(client.state).toBe("open");
        client.close();
      }),
      { numRuns: 400, seed: 0x96c5 },
    );
  });
});
