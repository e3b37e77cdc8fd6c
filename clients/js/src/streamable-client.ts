import { HttpError } from "./errors.js";
import type { FetchLike } from "./sse-client.js";
import { type SseMessage, SseParser } from "./sse-parser.js";

/** What a Streamable HTTP POST answered. */
export type StreamableResult<T> =
  /** `application/json`: the parsed body. */
  | { kind: "json"; status: number; headers: Headers; body: T }
  /** `text/event-stream`: the events, read as they arrive; leave the loop early to cancel. */
  | { kind: "events"; status: number; headers: Headers; events: AsyncIterableIterator<SseMessage> }
  /** 202 Accepted or 204 No Content with neither JSON nor events (e.g. for a notification). */
  | { kind: "accepted"; status: number; headers: Headers };

/** Options of a {@link StreamableClient}. */
export interface StreamableClientOptions {
  fetch?: FetchLike;
  /** Headers of every request (they can override the defaults). */
  headers?: Record<string, string>;
  credentials?: RequestCredentials;
}

/**
 * A client of "Streamable HTTP" endpoints: a JSON POST whose answer is either one JSON document
 * or a stream of Server-Sent Events, as the server chooses.
 *
 * ```ts
 * const client = new StreamableClient();
 * const r = await client.post("/rpc", { jsonrpc: "2.0", id: 1, method: "tools/list" });
 * if (r.kind === "json") show(r.body);
 * else if (r.kind === "events") for await (const ev of r.events) show(JSON.parse(ev.data));
 * ```
 *
 * Requests carry `Content-Type: application/json` and `Accept: application/json,
 * text/event-stream`. A non-2xx answer throws {@link HttpError} (with the start of the body); any
 * other content type throws too.
 */
export class StreamableClient {
  private readonly fetchFn: FetchLike;

  constructor(private readonly options: StreamableClientOptions = {}) {
    const f = options.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchLike | undefined);
    if (!f) throw new TypeError("no fetch available: pass options.fetch");
    this.fetchFn = f;
  }

  /** POSTs `body` as JSON to `url`; `signal` aborts the request and its event stream. */
  async post<T = unknown>(
    url: string,
    body: unknown,
    init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<StreamableResult<T>> {
    const text = JSON.stringify(body);
    if (text === undefined) throw new TypeError("StreamableClient.post: the body cannot be JSON-encoded (" + typeof body + ")");
    const response = await this.fetchFn(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        ...this.options.headers,
        ...init.headers,
      },
      body: text,
      credentials: this.options.credentials ?? "same-origin",
      signal: init.signal,
    });
    if (!response.ok) {
      const errorBody = await response.text().catch(() => "");
      throw new HttpError(response.status, `POST ${url} answered HTTP ${response.status}${errorBody ? ": " + errorBody.slice(0, 200) : ""}`);
    }
    const type = (response.headers.get("content-type") ?? "").toLowerCase();
    const isJson = type.startsWith("application/json") || /^application\/[a-z0-9.+-]*\+json/.test(type);
    const isEvents = type.startsWith("text/event-stream");
    if ((response.status === 202 || response.status === 204) && !isJson && !isEvents) {
      void response.body?.cancel().catch(() => {});
      return { kind: "accepted", status: response.status, headers: response.headers };
    }
    if (isJson) {
      const raw = await response.text();
      let parsed: T;
      try {
        parsed = JSON.parse(raw) as T;
      } catch (err) {
        throw new Error(`POST ${url} answered application/json that is not JSON (${(err as Error).message}): ${raw.slice(0, 100)}`);
      }
      return { kind: "json", status: response.status, headers: response.headers, body: parsed };
    }
    if (isEvents) {
      if (!response.body) throw new Error(`POST ${url} answered text/event-stream without a body`);
      return { kind: "events", status: response.status, headers: response.headers, events: iterateEvents(response.body) };
    }
    void response.body?.cancel().catch(() => {});
    throw new Error(`POST ${url} answered Content-Type ${JSON.stringify(type)}; expected application/json or text/event-stream`);
  }
}

/** The events of a `text/event-stream` body as an async iterator; `return()` cancels the body. */
export function iterateEvents(body: ReadableStream<Uint8Array>): AsyncIterableIterator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true }); // the parser skips the one BOM
  const ready: SseMessage[] = [];
  const parser = new SseParser({ onEvent: (m) => ready.push(m) });
  let done = false;
  const finish = () => {
    done = true;
    parser.end();
  };
  const iterator: AsyncIterableIterator<SseMessage> = {
    async next(): Promise<IteratorResult<SseMessage>> {
      while (ready.length === 0 && !done) {
        const chunk = await reader.read();
        if (chunk.done) {
          const rest = decoder.decode();
          if (rest) parser.feed(rest);
          finish();
          reader.releaseLock();
        } else {
          parser.feed(decoder.decode(chunk.value, { stream: true }));
        }
      }
      if (ready.length > 0) return { done: false, value: ready.shift()! };
      return { done: true, value: undefined };
    },
    async return(): Promise<IteratorResult<SseMessage>> {
      if (!done) {
        finish();
        ready.length = 0;
        await reader.cancel().catch(() => {});
      }
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
