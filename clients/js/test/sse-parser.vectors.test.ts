import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SseLimitError, SseParser } from "../src/index.js";
import { readText } from "../src/sse-client.js";

// The vectors the Java parser's JUnit test (SseParserVectorTest) reads too.
const dir = join(dirname(fileURLToPath(import.meta.url)), "../../../test-vectors/sse");

interface Expected {
  type: string;
  data: string;
  id?: string;
  lastEventId: string;
}

interface Outcome {
  events: Expected[];
  retries: number[];
  comments: string[];
  lastEventId: string;
  error?: string;
}

interface Case {
  name: string;
  chunks?: string[];
  base64?: string[];
  lastEventId?: string;
  limits?: { line: number; event: number };
  expect: Outcome;
}

// The Java limit names, as the vectors write them, and this parser's names for the same limits.
const limitNames: Record<string, string> = { maxLineBytes: "maxLineLength", maxEventBytes: "maxEventLength" };

function byteChunks(c: Case): Uint8Array[] {
  if (c.base64) return c.base64.map((b) => new Uint8Array(Buffer.from(b, "base64")));
  if (!c.chunks) throw new Error(`vector without chunks: ${c.name}`);
  return c.chunks.map((s) => new TextEncoder().encode(s));
}

/** Parses as the SSE client does: the bytes through its `readText` (streaming UTF-8), into the parser. */
async function parse(c: Case, chunks: Uint8Array[]): Promise<Outcome> {
  const out: Outcome = { events: [], retries: [], comments: [], lastEventId: "" };
  const parser = new SseParser(
    {
      onEvent: (m) => out.events.push({ type: m.event, data: m.data, lastEventId: m.lastEventId, ...(m.id === undefined ? {} : { id: m.id }) }),
      onRetry: (ms) => out.retries.push(ms),
      onComment: (text) => out.comments.push(text),
    },
    c.lastEventId ?? "",
    c.limits ? { maxLineLength: c.limits.line, maxEventLength: c.limits.event } : {},
  );
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  try {
    await readText(body, (text) => parser.feed(text));
    parser.end();
  } catch (e) {
    if (!(e instanceof SseLimitError)) throw e;
    const name = Object.keys(limitNames).find((k) => e.message.includes(`${limitNames[k]}=`));
    if (name === undefined) throw new Error(`a limit error naming no limit: ${e.message}`);
    out.error = name;
  }
  out.lastEventId = parser.lastEventId;
  return out;
}

const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
const cases: Case[] = files.flatMap((f) => (JSON.parse(readFileSync(join(dir, f), "utf8")) as { cases: Case[] }).cases);

describe("SseParser on the shared vectors", () => {
  it("reads every vector file", () => {
    expect(cases.length).toBeGreaterThan(40);
  });

  for (const c of cases) {
    it(c.name, async () => {
      for (const key of ["events", "retries", "comments", "lastEventId"] as const) {
        if (c.expect[key] === undefined) throw new Error(`vector without expect.${key}: ${c.name}`);
      }
      const chunks = byteChunks(c);
      const whole = new Uint8Array(chunks.reduce((n, b) => n + b.length, 0));
      chunks.reduce((at, b) => (whole.set(b, at), at + b.length), 0);
      const bytes = Array.from(whole, (b) => Uint8Array.of(b));
      expect(await parse(c, chunks), "as chunked").toEqual(c.expect);
      expect(await parse(c, [whole]), "whole").toEqual(c.expect);
      expect(await parse(c, bytes), "byte by byte").toEqual(c.expect);
    });
  }
});
