import { type BackoffOptions, backoffDelay, resolveBackoff } from "./backoff.js";
import { type Codec, JsonCodec } from "./codec.js";
import { Emitter } from "./emitter.js";
import { FrameDecodeError, NotConnectedError, SendQueueFullError } from "./errors.js";

/** The subset of the WHATWG `WebSocket` the clients use (browsers, Node 22+, or the `ws` package). */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

/** A `WebSocket` constructor, e.g. `globalThis.WebSocket` or `import { WebSocket } from "ws"`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `WebSocket.readyState` values. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/**
 * Where a client is: `idle` before `connect()`, `connecting` for the first attempt, `open`,
 * `reconnecting` while waiting for or making a later attempt, `closed` after `close()` or after
 * giving up (a non-retryable close code, `maxAttempts` reached, or reconnect disabled).
 */
export type WsState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/**
 * Close codes after which the client reconnects by default (docs/clients.md, the client contract):
 * 1001 going away, 1005 no status, 1006 connection lost, 1011 server error, 1012 restart, 1013 try
 * again later, 1014 bad gateway. Every other code ends the client: 1000 (the server ended the
 * conversation), 1002/1003/1007/1009 (the client would send the same again), 1008 policy
 * violation, 1010, 1015 and all application codes 3000-4999 (opt in per code with
 * `retryableCloseCodes`).
 */
export const RETRYABLE_CLOSE_CODES: readonly number[] = [1001, 1005, 1006, 1011, 1012, 1013, 1014];

/** Whether a connection the server closed with `code` is re-established, given the retryable set. */
export function isRetryableClose(code: number, retryable: Iterable<number> = RETRYABLE_CLOSE_CODES): boolean {
  for (const c of retryable) if (c === code) return true;
  return false;
}

/** The close event of a {@link WsClient}. */
export interface WsCloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
  /** Whether the client will try again (a `reconnecting` event follows). */
  willReconnect: boolean;
  /** Queued messages dropped because the client stopped for good (0 otherwise). */
  dropped: number;
}

/** Events of a {@link WsClient}. */
export interface WsClientEvents<I> {
  /** The socket opened; `reconnect` is true after the first time. */
  open: { reconnect: boolean };
  /** An application message, decoded by the codec. */
  message: I;
  close: WsCloseInfo;
  /**
   * A transport error, a frame the codec could not decode (a {@link FrameDecodeError}), or a
   * client ping left unanswered.
   */
  error: Error;
  /** The next attempt (1 for the first retry) starts after `delay` ms. */
  reconnecting: { attempt: number; delay: number };
  /** A server heartbeat `{"type":"ping","pingId":n,...}` (answered already when `autoPong`). */
  ping: { pingId: number | undefined; message: Record<string, unknown> };
  /** The server answered one of the client's own pings. */
  pong: { pingId: number };
}

/** Options of a {@link WsClient}. */
export interface WsClientOptions<I, O> {
  /** Frame codec (default {@link JsonCodec}). */
  codec?: Codec<I, O>;
  /** `WebSocket` constructor (default `globalThis.WebSocket`; on Node 20 pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  /** Sub-protocols for the handshake. */
  protocols?: string | string[];
  /** Answer `{"type":"ping","pingId":n}` with `{"type":"pong","pingId":n}` (default true). */
  autoPong?: boolean;
  /** Also hand server pings to `message` listeners (default false: only the `ping` event). */
  deliverPings?: boolean;
  /** Send `{"type":"ping","pingId":n,"timestamp":ms}` every this many ms while open (default 0: never). */
  pingInterval?: number;
  /**
   * With `pingInterval`: a client ping left without `{"type":"pong","pingId":n}` for this many ms
   * drops the socket (close code 4000 "pong timeout") and reconnects (default 0: no check).
   */
  pongTimeout?: number;
  /**
   * An attempt whose socket is not open within this many ms is abandoned and counts as a failed
   * attempt (retried like a drop), so a handshake the server never answers cannot stall the
   * client (default 10 000; 0: wait as long as the runtime does).
   */
  connectTimeout?: number;
  /** Reconnect after an unexpected close (default true), with these backoff settings if an object. */
  reconnect?: boolean | BackoffOptions;
  /** Close codes after which the client reconnects (default {@link RETRYABLE_CLOSE_CODES}); replaces the set. */
  retryableCloseCodes?: readonly number[];
  /** Messages `send` queues while not open (default 1000; 0: `send` throws while not open). */
  maxQueue?: number;
  /**
   * How long `close()` on an open socket waits for the server's close before it reports the
   * `close` event anyway (default 5000 ms, as the Java client; 0: report at once).
   */
  closeTimeout?: number;
  onOpen?: (e: WsClientEvents<I>["open"]) => void;
  onMessage?: (message: I) => void;
  onClose?: (e: WsCloseInfo) => void;
  onError?: (error: Error) => void;
  onReconnecting?: (e: WsClientEvents<I>["reconnecting"]) => void;
  onPing?: (e: WsClientEvents<I>["ping"]) => void;
}

type Frame = string | ArrayBuffer | ArrayBufferView;

/**
 * A WebSocket client with codecs, heartbeat handling, reconnection and a send queue.
 *
 * ```ts
 * const ws = new WsClient<ChatEvent, ChatCommand>("wss://example.com/ws/chat?room=lobby", {
 *   onMessage: (m) => console.log(m),
 * });
 * await ws.connect();
 * ws.send({ type: "chat_message", message: "hi" });
 * ```
 *
 * Incoming frames: a binary frame goes to `codec.decode`. A text frame that is a JSON object with
 * `"type":"ping"` is a server heartbeat: it is answered (`autoPong`) and emitted as `ping`, not
 * as `message` (unless `deliverPings`). A `"type":"pong"` answering one of the client's own pings
 * is emitted as `pong`. Everything else goes to `codec.decode` and then to `message`; a decode
 * failure is an `error` event, and the connection stays open.
 *
 * Reconnection (docs/clients.md, the client contract): after a close with a code in
 * `retryableCloseCodes`, a connect timeout or a pong timeout, the client waits a random time in
 * [0, min(maxDelay, initialDelay × factor^(n−1))) before attempt n and tries again; a successful
 * open resets n. It stops on `close()`, on any other close code (1000, 4xxx, ...), and after
 * `maxAttempts`.
 * Messages sent while the socket is down wait in a queue of at most `maxQueue` messages and go
 * out, in order, as soon as the socket opens (before the `open` event).
 */
export class WsClient<I = unknown, O = unknown> extends Emitter<WsClientEvents<I>> {
  readonly codec: Codec<I, O>;
  private readonly urlOf: () => string;
  private readonly Ctor: WebSocketConstructor;
  private readonly options: WsClientOptions<I, O>;
  private readonly backoff: Required<BackoffOptions> | null;
  private readonly retryable: ReadonlySet<number>;
  private readonly maxQueue: number;
  private socket: WebSocketLike | null = null;
  private stateValue: WsState = "idle";
  private queue: Frame[] = [];
  private attempt = 0;
  private openedOnce = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingSeq = 0;
  /** Reports the `close` event of a `close()` whose socket has not answered yet. */
  private pendingClose: (() => void) | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  /** A client for `url` (or a function giving the URL of each attempt); nothing happens before `connect()`. */
  constructor(url: string | (() => string), options: WsClientOptions<I, O> = {}) {
    super();
    this.urlOf = typeof url === "function" ? url : () => url;
    this.options = options;
    this.codec = options.codec ?? (new JsonCodec() as unknown as Codec<I, O>);
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!ctor) {
      throw new TypeError(
        "no WebSocket available: this runtime has no global WebSocket (Node < 22); " +
          'pass one, e.g. new WsClient(url, { WebSocket: (await import("ws")).WebSocket })',
      );
    }
    this.Ctor = ctor;
    this.backoff = options.reconnect === false ? null : resolveBackoff(options.reconnect === true ? {} : options.reconnect);
    this.retryable = new Set(options.retryableCloseCodes ?? RETRYABLE_CLOSE_CODES);
    this.maxQueue = options.maxQueue ?? 1000;
    if (!(this.maxQueue >= 0) || !Number.isInteger(this.maxQueue)) {
      throw new RangeError("maxQueue must be an integer >= 0, got " + options.maxQueue);
    }
    for (const key of ["pingInterval", "pongTimeout", "connectTimeout", "closeTimeout"] as const) {
      const v = options[key];
      if (v !== undefined && !(v >= 0 && Number.isFinite(v))) {
        throw new RangeError(`${key} must be a finite number of ms >= 0, got ${v}`);
      }
    }
    if (options.onOpen) this.on("open", options.onOpen);
    if (options.onMessage) this.on("message", options.onMessage);
    if (options.onClose) this.on("close", options.onClose);
    if (options.onError) this.on("error", options.onError);
    if (options.onReconnecting) this.on("reconnecting", options.onReconnecting);
    if (options.onPing) this.on("ping", options.onPing);
  }

  /** Where the client is; see {@link WsState}. */
  get state(): WsState {
    return this.stateValue;
  }

  /** Whether the socket is open. */
  get isConnected(): boolean {
    return this.stateValue === "open";
  }

  /** The current socket's `readyState` ({@link ReadyState}), CLOSED when there is none. */
  get readyState(): number {
    return this.socket ? this.socket.readyState : ReadyState.CLOSED;
  }

  /** Messages waiting for the socket to open. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Opens the connection (again after `close()`). Resolves when the socket is open; while
   * reconnecting keeps trying, and rejects only when the client stops: `close()`, a
   * non-retryable close code, `maxAttempts`, or the first failure when reconnect is off.
   */
  connect(): Promise<void> {
    if (this.stateValue === "open") return Promise.resolve();
    this.pendingClose?.(); // a previous close() is reported before the new connection starts
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.stateValue === "idle" || this.stateValue === "closed") {
      this.attempt = 0;
      this.stateValue = "connecting";
      this.open();
    }
    return p;
  }

  /**
   * Sends `message` through the codec: at once when open, else queued until the socket opens.
   * Throws {@link SendQueueFullError} when `maxQueue` messages already wait, and
   * {@link NotConnectedError} when the client is closed.
   */
  send(message: O): void {
    this.sendFrame(this.codec.encode(message));
  }

  /** Like `send`, without the codec: a string is a text frame, bytes a binary frame. */
  sendRaw(data: string | ArrayBuffer | ArrayBufferView): void {
    this.sendFrame(data);
  }

  /**
   * Closes the connection for good (no reconnect) with `code` (default 1000) and `reason`; the
   * state is `closed` at once and a pending `connect()` rejects. On an open socket what was sent
   * goes out before the close frame, and the `close` event comes with the server's answer, or
   * after `closeTimeout` ms without one. Otherwise messages queued for a connection are dropped
   * (counted in the close event's `dropped`) and the event comes at once. Does nothing when
   * already closed. (docs/clients.md, the client contract.)
   */
  close(code = 1000, reason = ""): void {
    if (this.stateValue === "closed") return;
    if (this.stateValue === "idle") {
      this.queue = []; // sent before connect(): dropped with the client
      this.stateValue = "closed";
      return;
    }
    const wasOpen = this.stateValue === "open";
    const socket = this.detach();
    if (socket) {
      try {
        socket.close(code, reason);
      } catch (err) {
        this.emit("error", toError(err, "closing the socket failed"));
      }
    }
    const timeout = this.options.closeTimeout ?? 5000;
    const deferred = wasOpen && socket !== null && timeout > 0 && (this.stateValue as WsState) !== "closed";
    this.stop({ code, reason, wasClean: true }, new NotConnectedError("the client was closed before the connection opened"), !deferred);
    if (!deferred) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const report = (info: { code: number; reason: string; wasClean: boolean }) => {
      if (this.pendingClose !== finish) return;
      this.pendingClose = null;
      if (timer) clearTimeout(timer);
      socket.onclose = null;
      this.emit("close", { ...info, willReconnect: false, dropped: 0 });
    };
    const finish = () => report({ code, reason, wasClean: false });
    this.pendingClose = finish;
    // the code and reason are the client's own (a server may answer with an empty reason)
    socket.onclose = (ev) => report({ code, reason, wasClean: ev.wasClean });
    timer = setTimeout(finish, timeout);
  }

  private sendFrame(frame: Frame): void {
    if (this.stateValue === "open" && this.socket) {
      this.socket.send(frame);
      return;
    }
    if (this.stateValue === "closed") {
      throw new NotConnectedError("WsClient is closed: call connect() before send()");
    }
    if (this.maxQueue === 0) {
      throw new NotConnectedError(`WsClient is ${this.stateValue}, not open, and maxQueue is 0: nothing is queued`);
    }
    if (this.queue.length >= this.maxQueue) {
      throw new SendQueueFullError(this.maxQueue);
    }
    this.queue.push(frame);
  }

  private open(): void {
    this.retryTimer = null;
    let socket: WebSocketLike;
    try {
      socket = new this.Ctor(this.urlOf(), this.options.protocols);
    } catch (err) {
      // a malformed URL or a bad protocol: retrying cannot help
      this.emit("error", toError(err, "cannot create the WebSocket"));
      if (this.stateValue === "closed") return; // an error listener called close(): it reported the close
      this.stop({ code: 1006, reason: "cannot create the WebSocket", wasClean: false }, toError(err, "cannot create the WebSocket"));
      return;
    }
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    const timeout = this.options.connectTimeout ?? 10_000;
    if (timeout > 0) {
      this.connectTimer = setTimeout(() => {
        this.connectTimer = null;
        if (socket !== this.socket) return;
        this.emit("error", new Error(`the WebSocket did not open within ${timeout} ms (connectTimeout): giving up on this attempt`));
        if (socket !== this.socket) return; // an error listener called close(): no retry
        this.detach();
        try {
          socket.close();
        } catch {
          // not open yet: closing may throw in some runtimes
        }
        this.onUnexpectedClose(1006, "connect timeout", false, true);
      }, timeout);
    }
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.clearConnectTimer();
      this.onOpen();
    };
    socket.onerror = () => {
      if (socket !== this.socket) return;
      this.emit("error", new Error("WebSocket error (" + (this.stateValue === "open" ? "while open" : "while connecting") + ")"));
    };
    socket.onclose = (ev) => {
      if (socket !== this.socket) return;
      this.detach();
      this.onUnexpectedClose(ev.code, ev.reason ?? "", ev.wasClean);
    };
    socket.onmessage = (ev) => {
      if (socket !== this.socket) return;
      this.dispatch(ev.data);
    };
  }

  private onOpen(): void {
    const reconnect = this.openedOnce;
    this.openedOnce = true;
    this.attempt = 0;
    this.stateValue = "open";
    const pending = this.queue;
    this.queue = [];
    for (const frame of pending) {
      this.socket!.send(frame);
    }
    this.startPings();
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w.resolve());
    this.emit("open", { reconnect });
  }

  /** `clientSide`: the client itself found the socket dead (connect or pong timeout): retried whatever the code. */
  private onUnexpectedClose(code: number, reason: string, wasClean: boolean, clientSide = false): void {
    const why = this.retryRefusal(code, clientSide);
    if (why) {
      this.stop({ code, reason, wasClean }, new NotConnectedError(`WebSocket closed (${code}${reason ? " " + reason : ""}); ${why}`));
      return;
    }
    this.attempt++;
    const delay = backoffDelay(this.attempt, this.backoff!);
    this.stateValue = "reconnecting";
    this.emit("close", { code, reason, wasClean, willReconnect: true, dropped: 0 });
    if (this.stateValue !== "reconnecting") return; // a listener called close()
    this.emit("reconnecting", { attempt: this.attempt, delay });
    if (this.stateValue !== "reconnecting") return;
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /** Why the client does not retry after `code`, or null when it does. */
  private retryRefusal(code: number, clientSide: boolean): string | null {
    if (!this.backoff) return "reconnect is off";
    if (!clientSide && !this.retryable.has(code)) return `close code ${code} is not retryable (retryableCloseCodes)`;
    if (this.attempt >= this.backoff.maxAttempts) return `gave up after ${this.attempt} reconnection attempts (maxAttempts)`;
    return null;
  }

  private stop(info: { code: number; reason: string; wasClean: boolean }, error: Error, emit = true): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const dropped = this.queue.length;
    this.queue = [];
    this.stateValue = "closed";
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w.reject(error));
    if (emit) this.emit("close", { ...info, willReconnect: false, dropped });
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  /** Stops the timers of the current socket and forgets it (its late events are ignored). */
  private detach(): WebSocketLike | null {
    this.stopPings();
    this.clearConnectTimer();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onerror = null;
      socket.onclose = null;
    }
    return socket;
  }

  private dispatch(data: unknown): void {
    if (typeof data !== "string") {
      if (!(data instanceof ArrayBuffer)) {
        this.emit("error", new TypeError("unexpected frame data " + Object.prototype.toString.call(data)));
        return;
      }
      this.decodeAndEmit(data, "binary");
      return;
    }
    let parsed: unknown = undefined;
    let isJson = false;
    if (data.charCodeAt(0) === 0x7b /* { */) {
      try {
        parsed = JSON.parse(data);
        isJson = true;
      } catch {
        // not JSON: the codec decides
      }
    }
    if (isJson && parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      const obj = parsed as Record<string, unknown>;
      if (obj.type === "ping") {
        const pingId = typeof obj.pingId === "number" ? obj.pingId : undefined;
        if ((this.options.autoPong ?? true) && pingId !== undefined && this.socket) {
          this.socket.send(JSON.stringify({ type: "pong", pingId }));
        }
        this.emit("ping", { pingId, message: obj });
        if (!this.options.deliverPings) return;
      } else if (obj.type === "pong" && typeof obj.pingId === "number" && obj.pingId > 0 && obj.pingId <= this.pingSeq) {
        if (this.pongTimer) {
          clearTimeout(this.pongTimer);
          this.pongTimer = null;
        }
        this.emit("pong", { pingId: obj.pingId });
        return;
      }
    }
    if (isJson && this.codec instanceof JsonCodec) {
      this.emit("message", parsed as I);
      return;
    }
    this.decodeAndEmit(data, "text");
  }

  private decodeAndEmit(data: string | ArrayBuffer, kind: "text" | "binary"): void {
    let message: I;
    try {
      message = this.codec.decode(data);
    } catch (err) {
      const sample = typeof data === "string" ? JSON.stringify(data.slice(0, 64)) : `${data.byteLength} bytes`;
      this.emit("error", new FrameDecodeError(`cannot decode a ${kind} frame with the ${this.codec.name} codec (${sample}): ${toError(err, "").message}`));
      return;
    }
    this.emit("message", message);
  }

  private startPings(): void {
    const every = this.options.pingInterval ?? 0;
    if (every <= 0) return;
    this.pingTimer = setInterval(() => this.sendPing(), every);
  }

  private sendPing(): void {
    if (!this.socket || this.stateValue !== "open") return;
    const pingId = ++this.pingSeq;
    this.socket.send(JSON.stringify({ type: "ping", pingId, timestamp: Date.now() }));
    const timeout = this.options.pongTimeout ?? 0;
    if (timeout > 0 && !this.pongTimer) {
      this.pongTimer = setTimeout(() => {
        this.pongTimer = null;
        const current = this.socket;
        this.emit("error", new Error(`no pong for ping ${pingId} within ${timeout} ms: dropping the connection`));
        if (current !== this.socket) return; // an error listener called close(): no retry
        const socket = this.detach();
        try {
          socket?.close(4000, "pong timeout");
        } catch {
          // already closing
        }
        this.onUnexpectedClose(4000, "pong timeout", false, true);
      }, timeout);
    }
  }

  private stopPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }
}

function toError(err: unknown, context: string): Error {
  if (err instanceof Error) return err;
  return new Error(context ? `${context}: ${String(err)}` : String(err));
}
