import { type ControlMessage, GrpcWsClient, type GrpcWsClientOptions } from "./grpcws-client.js";
import type { FetchLike } from "./sse-client.js";
import { ReadyState, type WebSocketConstructor, type WebSocketLike } from "./ws-client.js";

/** A fake socket made by {@link createMockWSPair}'s constructor. */
export class MockWebSocket implements WebSocketLike {
  readyState: number = ReadyState.CONNECTING;
  binaryType = "blob";
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  /** Frames the client sent, as given to `send`. */
  readonly sent: (string | ArrayBuffer | ArrayBufferView)[] = [];
  /** The `close(code, reason)` call of the client, if any. */
  closedWith: { code?: number; reason?: string } | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {}

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== ReadyState.OPEN) {
      throw new Error("MockWebSocket.send while readyState is " + this.readyState);
    }
    this.sent.push(data);
  }

  /** Like a browser: CLOSING now; the close event comes with the server's answer (`simulateClose`). */
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSING;
  }
}

/** Drives the sockets of a {@link createMockWSPair} constructor, always the most recent one. */
export class MockWSController {
  /** Every socket made so far, oldest first. */
  readonly sockets: MockWebSocket[] = [];

  /** The most recent socket; throws if the client has not made one. */
  get socket(): MockWebSocket {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) throw new Error("no socket yet: call client.connect() first");
    return s;
  }

  /** Text frames the current socket sent, JSON-parsed when they are JSON. */
  get sent(): unknown[] {
    return this.socket.sent.map((f) => {
      if (typeof f !== "string") return f;
      try {
        return JSON.parse(f);
      } catch {
        return f;
      }
    });
  }

  /** Frames the current socket sent, unchanged. */
  get sentRaw(): (string | ArrayBuffer | ArrayBufferView)[] {
    return this.socket.sent;
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  simulateOpen(): void {
    const s = this.socket;
    s.readyState = ReadyState.OPEN;
    s.onopen?.({});
  }

  /** A text frame with `JSON.stringify(message)`. */
  simulateMessage(message: unknown): void {
    this.simulateRawMessage(JSON.stringify(message));
  }

  /** A frame with this data (a string is a text frame, an ArrayBuffer a binary one). */
  simulateRawMessage(data: string | ArrayBuffer): void {
    this.socket.onmessage?.({ data });
  }

  simulateError(): void {
    this.socket.onerror?.({ type: "error" });
  }

  /** The socket closes with `code` (default 1006, a drop). */
  simulateClose(code = 1006, reason = ""): void {
    const s = this.socket;
    s.readyState = ReadyState.CLOSED;
    s.onclose?.({ code, reason, wasClean: code !== 1006 });
  }
}

/**
 * A fake `WebSocket` constructor and its controller, for unit tests of code that uses the
 * clients: `const { WebSocket, controller } = createMockWSPair(); new WsClient(url, { WebSocket })`.
 */
export function createMockWSPair(): { WebSocket: WebSocketConstructor; controller: MockWSController } {
  const controller = new MockWSController();
  const Ctor = class extends MockWebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      controller.sockets.push(this);
    }
  };
  return { WebSocket: Ctor, controller };
}

/** Drives a {@link GrpcWsClient} made by {@link createMockGrpcWsClient}. */
export class MockGrpcWsController extends MockWSController {
  /** The `data` payloads of the `data` envelopes the client sent on the current socket. */
  get sentMessages(): unknown[] {
    return (this.sent as ControlMessage[]).filter((m) => m && m.type === "data").map((m) => m.data);
  }
  /** The envelope types the client sent on the current socket, e.g. `["data","end_send"]`. */
  get sentTypes(): string[] {
    return (this.sent as ControlMessage[]).map((m) => m && m.type);
  }
  /** A `data` envelope. */
  simulateData(data: unknown): void {
    this.simulateMessage({ type: "data", data });
  }
  simulateStreamEnd(): void {
    this.simulateMessage({ type: "stream_end" });
  }
  /** An `error` envelope, with a gRPC status name if given. */
  simulateServerError(error: string, code?: string): void {
    this.simulateMessage(code ? { type: "error", error, code } : { type: "error", error });
  }
  simulatePing(pingId: number): void {
    this.simulateMessage({ type: "ping", pingId });
  }
}

/** A {@link GrpcWsClient} on a fake socket, and its controller. */
export function createMockGrpcWsClient<Req = unknown, Resp = unknown>(
  url = "ws://mock/stream",
  options: Omit<GrpcWsClientOptions<Resp>, "WebSocket"> = {},
): { client: GrpcWsClient<Req, Resp>; controller: MockGrpcWsController } {
  const controller = new MockGrpcWsController();
  const Ctor = class extends MockWebSocket {
    constructor(u: string, p?: string | string[]) {
      super(u, p);
      controller.sockets.push(this);
    }
  };
  return { client: new GrpcWsClient<Req, Resp>(url, { ...options, WebSocket: Ctor }), controller };
}

/** One request seen by {@link createMockFetch}'s `fetch`; answer it with one of the `respond` methods. */
export class MockRequest {
  private resolveResponse!: (r: Response) => void;
  private rejectResponse!: (e: Error) => void;
  /** Settles with what the test answered. */
  readonly response: Promise<Response>;
  private stream: ReadableStreamDefaultController<Uint8Array> | null = null;
  private readonly encoder = new TextEncoder();

  constructor(
    readonly url: string,
    readonly method: string,
    /** Request headers with lower-case names. */
    readonly headers: Record<string, string>,
    readonly body: string | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    this.response = new Promise((resolve, reject) => {
      this.resolveResponse = resolve;
      this.rejectResponse = reject;
    });
    signal?.addEventListener("abort", () => {
      const err = new DOMException("The operation was aborted.", "AbortError");
      this.rejectResponse(err);
      try {
        this.stream?.error(err);
      } catch {
        // already closed
      }
    });
  }

  /** Answers with a complete body. */
  respond(status: number, body = "", headers: Record<string, string> = {}): void {
    this.resolveResponse(new Response(status === 204 || status === 205 || body === "" ? null : body, { status, headers }));
  }

  /** Answers 200 `application/json` with `JSON.stringify(value)`. */
  respondJson(value: unknown, status = 200): void {
    this.respond(status, JSON.stringify(value), { "Content-Type": "application/json" });
  }

  /** Answers with a streaming body written by {@link write} and ended by {@link end}. */
  respondStream(contentType = "text/event-stream", status = 200): void {
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.stream = c;
      },
    });
    this.resolveResponse(new Response(body, { status, headers: { "Content-Type": contentType } }));
  }

  /** Writes raw text to the streaming body. */
  write(text: string): void {
    if (!this.stream) throw new Error("call respondStream() before write()");
    this.stream.enqueue(this.encoder.encode(text));
  }

  /** Ends the streaming body normally. */
  end(): void {
    this.stream?.close();
  }

  /** Fails the streaming body (a dropped connection), or the request if not answered yet. */
  fail(message = "connection reset"): void {
    const err = new TypeError(message);
    if (this.stream) this.stream.error(err);
    else this.rejectResponse(err);
  }
}

/** Records the requests of a {@link createMockFetch} `fetch`. */
export class MockFetchController {
  readonly requests: MockRequest[] = [];
  private waiting: { index: number; resolve: (r: MockRequest) => void }[] = [];

  /** The most recent request; throws if there is none. */
  get last(): MockRequest {
    const r = this.requests[this.requests.length - 1];
    if (!r) throw new Error("no request yet");
    return r;
  }

  /** Resolves with request number `index` (0 for the first) once it has been made. */
  request(index: number): Promise<MockRequest> {
    if (index < this.requests.length) return Promise.resolve(this.requests[index]!);
    return new Promise((resolve) => this.waiting.push({ index, resolve }));
  }

  /** @internal */
  add(r: MockRequest): void {
    this.requests.push(r);
    const ready = this.waiting.filter((w) => w.index < this.requests.length);
    this.waiting = this.waiting.filter((w) => w.index >= this.requests.length);
    ready.forEach((w) => w.resolve(this.requests[w.index]!));
  }
}

/** A fake `fetch` whose requests the test answers, for the SSE and Streamable clients. */
export function createMockFetch(): { fetch: FetchLike; controller: MockFetchController } {
  const controller = new MockFetchController();
  const fetch: FetchLike = (input, init = {}) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const request = new MockRequest(
      String(input),
      init.method ?? "GET",
      headers,
      typeof init.body === "string" ? init.body : undefined,
      init.signal ?? undefined,
    );
    controller.add(request);
    return request.response;
  };
  return { fetch, controller };
}
