/** One dispatched Server-Sent Event. */
export interface SseMessage {
  /** The event type: the `event:` field, `"message"` when there was none. */
  event: string;
  /** The data lines joined with `"\n"`. */
  data: string;
  /** The last event id in effect when the event was dispatched (`""` before any). */
  lastEventId: string;
  /** The `id:` field of this event's block, if it had one. */
  id?: string;
}

/** Limits of {@link SseParser}, in UTF-16 code units (string length) of the decoded text. */
export interface SseParserLimits {
  /** Longest line kept while waiting for its end (default 1 MiB, as the Java client's `maxLineBytes`). */
  maxLineLength?: number;
  /** Most data one event may accumulate (default 16 MiB, as the Java client's `maxEventBytes`). */
  maxEventLength?: number;
}

/**
 * Thrown by {@link SseParser.feed} when a line or an event's data passes its limit; the stream
 * cannot be trusted past that point, so the SSE client ends it without reconnecting.
 */
export class SseLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SseLimitError";
  }
}

/** Callbacks of {@link SseParser}. */
export interface SseParserCallbacks {
  onEvent(message: SseMessage): void;
  /** A valid `retry:` field (digits only), in ms. */
  onRetry?(ms: number): void;
  /** A comment line (`: text`), without the colon and one leading space. */
  onComment?(text: string): void;
}

/**
 * An incremental `text/event-stream` parser following the WHATWG HTML "event stream
 * interpretation": lines end with CRLF, LF or CR (a CR at the end of a chunk waits for the next
 * one); a leading BOM is dropped; `data` lines accumulate with `"\n"`; an `id` containing NUL is
 * ignored; `retry` counts only when it is all ASCII digits; unknown fields are ignored; a blank
 * line dispatches the event unless its data is empty (the id still takes effect); an unterminated
 * event at the end of the stream is discarded.
 *
 * Work is linear in the input however it is chunked (only new text is scanned), and memory is
 * bounded by {@link SseParserLimits}: a longer line or event throws {@link SseLimitError}.
 */
export class SseParser {
  private buffer = "";
  private readonly maxLine: number;
  private readonly maxEvent: number;
  private first = true;
  private data = "";
  private hasData = false;
  private eventType = "";
  private blockId: string | undefined = undefined;
  private idBuffer: string;
  private lastId: string;

  constructor(
    private readonly callbacks: SseParserCallbacks,
    lastEventId = "",
    limits: SseParserLimits = {},
  ) {
    this.lastId = lastEventId;
    this.idBuffer = lastEventId;
    this.maxLine = positive("maxLineLength", limits.maxLineLength ?? 1 << 20);
    this.maxEvent = positive("maxEventLength", limits.maxEventLength ?? 16 << 20);
  }

  /**
   * The last event id: the spec's "last event ID string", set from the id buffer whenever a blank
   * line ends a block (with or without data); an id in a block the stream never ended does not count.
   */
  get lastEventId(): string {
    return this.lastId;
  }

  /** Feeds decoded text; calls back for every complete line. */
  feed(chunk: string): void {
    if (this.first && chunk.length > 0) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    // The buffer holds no line end but possibly a trailing CR: scan only from there.
    const from = this.buffer.endsWith("\r") ? this.buffer.length - 1 : this.buffer.length;
    let text = this.buffer + chunk;
    let start = 0;
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 /* LF */) {
        this.line(text.slice(start, i));
        start = i + 1;
      } else if (c === 13 /* CR */) {
        if (i + 1 === text.length) break; // might be the first half of CRLF: wait
        this.line(text.slice(start, i));
        if (text.charCodeAt(i + 1) === 10) i++;
        start = i + 1;
      }
    }
    this.buffer = text.slice(start);
    text = "";
    if (this.buffer.length - (this.buffer.endsWith("\r") ? 1 : 0) > this.maxLine) {
      this.buffer = "";
      throw new SseLimitError(`SSE line longer than maxLineLength=${this.maxLine}; stream abandoned`);
    }
  }

  /** Ends the stream: a final lone CR ends its line; an event without its blank line is discarded. */
  end(): void {
    if (this.buffer.endsWith("\r")) {
      this.line(this.buffer.slice(0, -1));
    }
    this.buffer = "";
    this.data = "";
    this.hasData = false;
    this.eventType = "";
    this.blockId = undefined;
    this.idBuffer = this.lastId;
  }

  private line(line: string): void {
    if (line.length > this.maxLine) {
      throw new SseLimitError(`SSE line longer than maxLineLength=${this.maxLine}; stream abandoned`);
    }
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      const text = line.charCodeAt(1) === 32 ? line.slice(2) : line.slice(1);
      this.callbacks.onComment?.(text);
      return;
    }
    const colon = line.indexOf(":");
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case "data":
        if ((this.hasData ? this.data.length + 1 : 0) + value.length > this.maxEvent) {
          throw new SseLimitError(`SSE event data longer than maxEventLength=${this.maxEvent}; stream abandoned`);
        }
        this.data = this.hasData ? this.data + "\n" + value : value;
        this.hasData = true;
        break;
      case "event":
        this.eventType = value;
        break;
      case "id":
        if (!value.includes("\u0000")) {
          this.idBuffer = value;
          this.blockId = value;
        }
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.callbacks.onRetry?.(Number(value));
        break;
      default:
      // unknown fields are ignored
    }
  }

  private dispatch(): void {
    this.lastId = this.idBuffer;
    const hadData = this.hasData;
    const message: SseMessage = {
      event: this.eventType === "" ? "message" : this.eventType,
      data: this.data,
      lastEventId: this.lastId,
    };
    if (this.blockId !== undefined) message.id = this.blockId;
    this.data = "";
    this.hasData = false;
    this.eventType = "";
    this.blockId = undefined;
    if (hadData) this.callbacks.onEvent(message);
  }
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}
