import { type BackoffOptions, backoffDelay, parseRetryAfter, resolveBackoff } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { HttpError } from "./errors.js";
import { SseLimitError, type SseMessage, SseParser, type SseParserLimits } from "./sse-parser.js";

/** A `fetch` function (the global one, or a mock in tests). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Where an {@link SseClient} is. `closed`: after `close()`, HTTP 204, or a non-retryable failure. */
export type SseState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** Events of an {@link SseClient}. */
export interface SseClientEvents {
  /** The response headers arrived (200, `text/event-stream`); `reconnect` after the first time. */
  open: { reconnect: boolean };
  /** Every event, whatever its type. */
  event: SseMessage;
  /** Events without an `event:` field (type `"message"`). */
  message: SseMessage;
  /** A failed request, a dropped stream, a bad response; the client retries unless it says it stopped. */
  error: Error;
  /** The next attempt starts after `delay` ms. */
  reconnecting: { attempt: number; delay: number; lastEventId: string };
  /** The client stopped for good; `reason` says why. */
  close: { reason: string };
}

/**
 * Options of an {@link SseClient}. `maxLineLength` / `maxEventLength` bound what one line or one
 * event may hold (defaults 1 MiB / 16 MiB of text); past them the client reports an
 * `SseLimitError` and stops without reconnecting.
 */
export interface SseClientOptions extends SseParserLimits {
  /** `fetch` to use (default the global one). */
  fetch?: FetchLike;
  /** Extra request headers (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /** `credentials` of the request (browsers; default `"same-origin"`). */
  credentials?: RequestCredentials;
  /** The id to resume after on the first request (sent as `Last-Event-ID`). */
  lastEventId?: string;
  /**
   * Reconnect after the stream ends or fails (default true). The server's `retry:` is the
   * minimum wait, and the first wait after a stream that had opened; consecutive failures back
   * off exponentially with full jitter up to `maxDelay`.
   */
  reconnect?: boolean | BackoffOptions;
  onOpen?: (e: { reconnect: boolean }) => void;
  onMessage?: (m: SseMessage) => void;
  onError?: (e: Error) => void;
  onClose?: (e: { reason: string }) => void;
}

/**
 * A Server-Sent Events client over `fetch` (so it can send headers, unlike `EventSource`).
 *
 * ```ts
 * const sse = new SseClient("/events", { onMessage: (m) => console.log(m.data) });
 * sse.onEvent("tick", (m) => show(JSON.parse(m.data), m.lastEventId));
 * sse.connect();
 * ```
 *
 * Requests send `Accept: text/event-stream` and, once an event had an id, `Last-Event-ID`.
 * HTTP 204 stops the client (the server's "do not reconnect"), as do other 4xx answers (except
 * 408 and 429) and a response that is not `text/event-stream`; 5xx, 408, 429, network errors and
 * the end of a stream are retried.
 */
/** The initial reconnect wait of an {@link SseClient} without a server `retry:` (ms). */
export const SSE_INITIAL_DELAY = 3000;

export class SseClient extends Emitter<SseClientEvents> {
  private readonly url: string;
  private readonly options: SseClientOptions;
  private readonly fetchFn: FetchLike;
  private readonly backoff: Required<BackoffOptions> | null;
  private readonly named = new Map<string, Set<(m: SseMessage) => void>>();
  private stateValue: SseState = "idle";
  private lastId: string;
  private retryHint: number | null = null;
  private retryAfter = 0;
  private attempt = 0;
  private openedOnce = false;
  private abort: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;

  constructor(url: string, options: SseClientOptions = {}) {
    super();
    this.url = url;
    this.options = options;
    const f = options.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchLike | undefined);
    if (!f) throw new TypeError("no fetch available: pass options.fetch");
    this.fetchFn = f;
    if (options.reconnect === false) {
      this.backoff = null;
    } else {
      const given = options.reconnect === true || options.reconnect === undefined ? {} : options.reconnect;
      // 3 s, a browser EventSource's usual wait, as in the Java SseClient (docs/clients.md)
      this.backoff = resolveBackoff({ ...given, initialDelay: given.initialDelay ?? SSE_INITIAL_DELAY });
    }
    this.lastId = options.lastEventId ?? "";
    // Checks the limits now (a bad value throws RangeError here, not at the first connect).
    new SseParser({ onEvent() {} }, "", options);
    if (options.onOpen) this.on("open", options.onOpen);
    if (options.onMessage) this.on("message", options.onMessage);
    if (options.onError) this.on("error", options.onError);
    if (options.onClose) this.on("close", options.onClose);
  }

  /** Listens to events of type `type` (the `event:` field); returns a function that stops listening. */
  onEvent(type: string, listener: (m: SseMessage) => void): () => void {
    let set = this.named.get(type);
    if (!set) this.named.set(type, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  /** Where the client is. */
  get state(): SseState {
    return this.stateValue;
  }

  /** The id that the next request sends as `Last-Event-ID` (`""`: none). */
  get lastEventId(): string {
    return this.lastId;
  }

  /** The server's last `retry:` in ms, or null. */
  get retry(): number | null {
    return this.retryHint;
  }

  /** Starts streaming (again after `close()`); returns at once. */
  connect(): void {
    if (this.stateValue !== "idle" && this.stateValue !== "closed") return;
    this.stateValue = "connecting";
    this.attempt = 0;
    void this.run();
  }

  /** Stops for good: aborts the request and cancels a pending retry. */
  close(): void {
    if (this.stateValue === "closed" || this.stateValue === "idle") {
      this.stateValue = "closed";
      return;
    }
    this.stop("closed by the client");
  }

  private stop(reason: string): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.abort = null;
    this.stateValue = "closed";
    this.emit("close", { reason });
  }

  private async run(): Promise<void> {
    const gen = ++this.generation;
    const abort = new AbortController();
    this.abort = abort;
    const headers: Record<string, string> = {
      Accept: "text/event-stream",
      "Cache-Control": "no-cache",
      ...this.options.headers,
    };
    if (this.lastId !== "") headers["Last-Event-ID"] = this.lastId;
    let response: Response;
    try {
      response = await this.fetchFn(this.url, {
        method: "GET",
        headers,
        credentials: this.options.credentials ?? "same-origin",
        cache: "no-store",
        signal: abort.signal,
      });
    } catch (err) {
      if (gen !== this.generation) return;
      this.fail(new Error(`SSE request to ${this.url} failed: ${message(err)}`), true);
      return;
    }
    if (gen !== this.generation) {
      void response.body?.cancel().catch(() => {});
      return;
    }
    if (response.status === 204) {
      this.stop("the server answered 204 No Content: do not reconnect");
      return;
    }
    if (!response.ok) {
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      this.retryAfter = retryable ? parseRetryAfter(response.headers.get("retry-after"), Date.now()) : 0;
      const body = await response.text().catch(() => "");
      this.fail(new HttpError(response.status, `SSE request to ${this.url} answered HTTP ${response.status}${body ? ": " + body.slice(0, 200) : ""}`), retryable);
      return;
    }
    const type = response.headers.get("content-type") ?? "";
    if (!type.toLowerCase().startsWith("text/event-stream")) {
      void response.body?.cancel().catch(() => {});
      this.fail(new Error(`SSE request to ${this.url}: expected Content-Type text/event-stream, got ${JSON.stringify(type)}`), false);
      return;
    }
    if (!response.body) {
      this.fail(new Error(`SSE response from ${this.url} has no body`), false);
      return;
    }
    const reconnect = this.openedOnce;
    this.openedOnce = true;
    this.attempt = 0;
    this.stateValue = "open";
    this.emit("open", { reconnect });
    const parser = new SseParser(
      {
        onEvent: (m) => {
          if (gen !== this.generation) return;
          this.lastId = m.lastEventId;
          this.emit("event", m);
          if (m.event === "message") this.emit("message", m);
          const set = this.named.get(m.event);
          if (set) for (const l of [...set]) callSafely(l, m);
        },
        onRetry: (ms) => {
          this.retryHint = ms;
        },
      },
      this.lastId,
      { maxLineLength: this.options.maxLineLength, maxEventLength: this.options.maxEventLength },
    );
    try {
      await readText(response.body, (text) => parser.feed(text), () => gen !== this.generation);
      parser.end();
      if (gen !== this.generation) return;
      // an id-only block may have moved the last id
      this.lastId = parser.lastEventId;
      this.fail(new Error(`SSE stream from ${this.url} ended`), true);
    } catch (err) {
      if (gen !== this.generation) return;
      this.lastId = parser.lastEventId;
      if (err instanceof SseLimitError) {
        void response.body.cancel().catch(() => {});
        this.fail(err, false);
        return;
      }
      this.fail(new Error(`SSE stream from ${this.url} broke: ${message(err)}`), true);
    }
  }

  private fail(error: Error, retryable: boolean): void {
    this.abort = null;
    this.emit("error", error);
    if (this.stateValue === "closed") return; // a listener closed the client
    if (!retryable || !this.backoff) {
      this.stop(retryable ? "reconnect is off: " + error.message : error.message);
      return;
    }
    if (this.attempt >= this.backoff.maxAttempts) {
      this.stop(`gave up after ${this.attempt} reconnection attempts: ${error.message}`);
      return;
    }
    const delay = this.delay(++this.attempt);
    this.retryAfter = 0;
    this.stateValue = "reconnecting";
    this.emit("reconnecting", { attempt: this.attempt, delay, lastEventId: this.lastId });
    if (this.stateValue !== "reconnecting") return;
    const gen = this.generation;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (gen === this.generation) void this.run();
    }, delay);
  }

  /** The contract's wait (docs/clients.md): the server's `retry:` is the base and a floor, a `Retry-After` a floor. */
  private delay(attempt: number): number {
    const b = this.backoff!;
    const hint = this.retryHint;
    const base = hint ?? b.initialDelay;
    return backoffDelay(attempt, { ...b, initialDelay: base, maxDelay: Math.max(b.maxDelay, base) }, Math.max(hint ?? 0, this.retryAfter));
  }
}

/** Reads a byte stream as UTF-8 text, chunk by chunk, until it ends or `stopped()` says so. */
export async function readText(
  body: ReadableStream<Uint8Array>,
  onText: (text: string) => void,
  stopped: () => boolean = () => false,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true }); // the parser skips the one BOM
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (stopped()) return;
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (text) onText(text);
    }
    const rest = decoder.decode();
    if (rest) onText(rest);
  } finally {
    if (stopped()) void reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
}

function callSafely(listener: (m: SseMessage) => void, m: SseMessage): void {
  try {
    listener(m);
  } catch (err) {
    console.error(`servicekit: an SSE "${m.event}" listener threw`, err);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
