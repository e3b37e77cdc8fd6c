import type { BackoffOptions } from "./backoff.js";
import { JsonCodec } from "./codec.js";
import { Emitter } from "./emitter.js";
import { FrameDecodeError } from "./errors.js";
import { type WebSocketConstructor, type WsCloseInfo, WsClient, type WsState } from "./ws-client.js";

/** Envelope types of gRPC over WebSocket. */
export const MessageType = {
  DATA: "data",
  ERROR: "error",
  STREAM_END: "stream_end",
  PING: "ping",
  PONG: "pong",
  CANCEL: "cancel",
  END_SEND: "end_send",
} as const;

/** One gRPC-over-WebSocket envelope: `{"type":..., "data"?:..., "error"?:..., "code"?:..., "pingId"?:...}`. */
export interface ControlMessage {
  type: string;
  data?: unknown;
  error?: string;
  code?: string;
  pingId?: number;
}

/**
 * An error of a stream. `source` says where it came from: `server` for an `error` envelope (then
 * `code` is the gRPC status name the server gave, e.g. `"NOT_FOUND"`, when it gave one),
 * `protocol` for a frame that is not an envelope, `transport` for a WebSocket error.
 */
export class GrpcWsError extends Error {
  constructor(
    message: string,
    readonly source: "server" | "protocol" | "transport",
    readonly code?: string,
  ) {
    super(message);
    this.name = "GrpcWsError";
  }
}

/** Events of a {@link GrpcWsClient}. */
export interface GrpcWsEvents<Resp> {
  open: { reconnect: boolean };
  /** The payload of a `data` envelope. */
  data: Resp;
  /** The server ended the stream (`stream_end`); the socket stays open until `close()`. */
  streamEnd: void;
  error: GrpcWsError;
  close: WsCloseInfo;
  ping: { pingId: number | undefined };
}

/** Options of a {@link GrpcWsClient}. */
export interface GrpcWsClientOptions<Resp> {
  /** `WebSocket` constructor (default the global one). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after an unexpected close (default false: a stream's state is gone with its socket). */
  reconnect?: boolean | BackoffOptions;
  /** Messages `send` queues before the socket opens (default 1000, as WsClient). */
  maxQueue?: number;
  /** Answer server pings (default true). */
  autoPong?: boolean;
  /** Give up on a socket that does not open within this many ms (default 10 000; 0: never). */
  connectTimeout?: number;
  /** How long `close()` waits for the server's close before reporting it (default 5000 ms). */
  closeTimeout?: number;
  onOpen?: (e: { reconnect: boolean }) => void;
  onData?: (data: Resp) => void;
  onStreamEnd?: () => void;
  onError?: (error: GrpcWsError) => void;
  onClose?: (e: WsCloseInfo) => void;
  onPing?: (e: { pingId: number | undefined }) => void;
}

/**
 * A client of one gRPC streaming call bridged over WebSocket (servicekit-grpc's envelope
 * protocol). Requests go out as `{"type":"data","data":req}`; `endSend()` half-closes
 * (`end_send`), `cancel()` cancels the call. Responses arrive as `data` events, the normal end
 * as `streamEnd`, a gRPC error as an `error` event with `code`. Server pings are answered.
 *
 * ```ts
 * const sub = new GrpcWsClient<never, GameEvent>("/ws/v1/game1/subscribe?player_id=ann", {
 *   onData: (ev) => render(ev),
 *   onStreamEnd: () => sub.close(),
 *   onError: (e) => console.warn(e.code, e.message),
 * });
 * await sub.connect();
 * ```
 */
export class GrpcWsClient<Req = unknown, Resp = unknown> extends Emitter<GrpcWsEvents<Resp>> {
  private readonly ws: WsClient<ControlMessage, ControlMessage>;
  private ended = false;

  constructor(url: string | (() => string), options: GrpcWsClientOptions<Resp> = {}) {
    super();
    this.ws = new WsClient<ControlMessage, ControlMessage>(url, {
      codec: new JsonCodec<ControlMessage, ControlMessage>(),
      WebSocket: options.WebSocket,
      reconnect: options.reconnect ?? false,
      maxQueue: options.maxQueue,
      autoPong: options.autoPong,
      connectTimeout: options.connectTimeout,
      closeTimeout: options.closeTimeout,
    });
    if (options.onOpen) this.on("open", options.onOpen);
    if (options.onData) this.on("data", options.onData);
    if (options.onStreamEnd) this.on("streamEnd", options.onStreamEnd);
    if (options.onError) this.on("error", options.onError);
    if (options.onClose) this.on("close", options.onClose);
    if (options.onPing) this.on("ping", options.onPing);
    this.ws.on("open", (e) => {
      this.ended = false;
      this.emit("open", e);
    });
    this.ws.on("close", (e) => this.emit("close", e));
    // a frame the JSON codec cannot read is not an envelope: a protocol error, not a socket one
    this.ws.on("error", (e) => this.emit("error", new GrpcWsError(e.message, e instanceof FrameDecodeError ? "protocol" : "transport")));
    this.ws.on("ping", (e) => this.emit("ping", { pingId: e.pingId }));
    this.ws.on("message", (m) => this.dispatch(m));
  }

  /** Opens the socket; see {@link WsClient.connect}. */
  connect(): Promise<void> {
    return this.ws.connect();
  }

  /** Sends one request message: `{"type":"data","data":message}`. */
  send(message: Req): void {
    this.ws.send({ type: MessageType.DATA, data: message });
  }

  /** Half-closes: the client sends no more requests (`{"type":"end_send"}`). */
  endSend(): void {
    this.ws.send({ type: MessageType.END_SEND });
  }

  /** Cancels the call (`{"type":"cancel"}`); the server answers nothing and the socket stays open. */
  cancel(): void {
    this.ws.send({ type: MessageType.CANCEL });
  }

  /** Closes the socket (ends the call on the server too). */
  close(code = 1000, reason = ""): void {
    this.ws.close(code, reason);
  }

  /** Whether the socket is open. */
  get isConnected(): boolean {
    return this.ws.isConnected;
  }

  /** The socket's state. */
  get state(): WsState {
    return this.ws.state;
  }

  /** Whether the server sent `stream_end` on the current socket. */
  get streamEnded(): boolean {
    return this.ended;
  }

  /** The underlying {@link WsClient}. */
  get socket(): WsClient<ControlMessage, ControlMessage> {
    return this.ws;
  }

  private dispatch(m: unknown): void {
    if (m === null || typeof m !== "object" || Array.isArray(m) || typeof (m as ControlMessage).type !== "string") {
      this.emit("error", new GrpcWsError("not a grpcws envelope (an object with a string \"type\"): " + preview(m), "protocol"));
      return;
    }
    const env = m as ControlMessage;
    switch (env.type) {
      case MessageType.DATA:
        this.emit("data", env.data as Resp);
        break;
      case MessageType.STREAM_END:
        this.ended = true;
        this.emit("streamEnd", undefined);
        break;
      case MessageType.ERROR: {
        // the fields are the server's: only strings are taken as they are, so `code` is a string or absent
        const error: unknown = env.error;
        const text = typeof error === "string" ? error : error == null ? "unknown error" : preview(error);
        this.emit("error", new GrpcWsError(text, "server", typeof env.code === "string" ? env.code : undefined));
        break;
      }
      case MessageType.PONG:
        break; // an answer to a client ping: nothing to do
      default:
        this.emit("error", new GrpcWsError("unknown grpcws envelope type: " + preview(env.type), "protocol"));
    }
  }
}

/**
 * {@link GrpcWsClient} with its request and response types spelled out, for call sites that
 * read better with a distinct name: `new TypedGrpcWsClient<PlayerAction, GameState>(url)`.
 */
export class TypedGrpcWsClient<Req, Resp> extends GrpcWsClient<Req, Resp> {}

function preview(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > 80 ? s.slice(0, 80) + "..." : s;
}
