import { Emitter } from "./emitter.js";
import { WsClient, type WsClientOptions, type WsCloseInfo } from "./ws-client.js";

/**
 * Channels over WebSocket (docs/channels.md): subscriptions with positions and automatic
 * recovery, publishing, presence and request/reply (acknowledgements).
 */

/** A position in a channel: the epoch of its history and the offset (docs/channels.md, Positions). */
export interface StreamPosition {
  readonly epoch: string;
  readonly offset: number;
}

const POSITION_TEXT = /^([0-9a-z]{1,32})-([0-9]+)$/;
const EPOCH = /^[0-9a-z]{1,32}$/;

/**
 * Reads the text form `<epoch>-<offset>` (e.g. `"k3v9a0qz-42"`): the epoch 1–32 characters of
 * `[0-9a-z]`, the offset decimal digits giving a safe integer. Throws a `RangeError` naming the
 * rule and the text otherwise.
 */
export function parsePosition(text: string): StreamPosition {
  const m = POSITION_TEXT.exec(text);
  if (!m) {
    throw new RangeError(
      `position must be "<epoch>-<offset>" with an epoch of 1-32 characters [0-9a-z] and a decimal offset, got ${JSON.stringify(text)}`,
    );
  }
  const offset = Number(m[2]);
  if (!Number.isSafeInteger(offset)) {
    throw new RangeError(`position offset must be at most 2^53 - 1 (a safe integer), got ${JSON.stringify(text)}`);
  }
  return { epoch: m[1]!, offset };
}

/** The text form `<epoch>-<offset>` of a position; throws a `RangeError` for an invalid one. */
export function formatPosition(position: StreamPosition): string {
  checkPosition(position, "position");
  return `${position.epoch}-${position.offset}`;
}

function checkPosition(p: StreamPosition, what: string): void {
  if (p === null || typeof p !== "object" || typeof p.epoch !== "string" || !EPOCH.test(p.epoch)) {
    throw new RangeError(`${what} epoch must be 1-32 characters [0-9a-z], got ${JSON.stringify(p?.epoch)}`);
  }
  if (!Number.isSafeInteger(p.offset) || p.offset < 0) {
    throw new RangeError(`${what} offset must be a safe integer >= 0, got ${String(p.offset)}`);
  }
}

/**
 * A request that failed: the server's `reply` carried an error, or the client gave up on it.
 * `code` is the server's (`bad_request`, `forbidden`, `not_subscribed`, `limit`, `unavailable`,
 * `timeout`, `internal`) or the client's own: `timeout` (no reply within the timeout),
 * `cancelled` (the `AbortSignal` fired, or `unsubscribe` before a subscribe's reply) and
 * `closed` (the connection closed before the reply; `closeCode` says how).
 */
export class ReplyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** For `closed`: the WebSocket close code. */
    readonly closeCode?: number,
  ) {
    super(message);
    this.name = "ReplyError";
  }
}

/** A publication delivered to a subscriber. */
export interface ChannelPublication {
  channel: string;
  position: StreamPosition;
  data: unknown;
}

/** The data of a subscribe reply (docs/channels.md). */
export interface SubscribeReply {
  channel: string;
  epoch: string;
  offset: number;
  recovered: boolean;
  /** Why the history could not recover the asked position: `epoch_changed`, `evicted`, `ahead`. */
  resync?: string;
}

/** What a (re)subscription did: reported to `onSubscribed` after every subscribe reply. */
export interface SubscribedEvent {
  channel: string;
  /** The position the subscription is live from. */
  position: StreamPosition;
  /** Whether the server recovered everything after the position asked for. */
  recovered: boolean;
  /** How many missed publications were delivered by this (re)subscription. */
  recoveredCount: number;
  /** Set when the server answered resync (then `onResync` was called too). */
  resync?: string;
  /** False for the first subscription, true for the ones the client makes by itself. */
  automatic: boolean;
}

/** A resync: the publications after the client's position are gone; live from `position`. */
export interface ResyncEvent {
  channel: string;
  reason: string;
  /** The position the client had. */
  from: StreamPosition | undefined;
  /** The new position (the top of the channel). */
  position: StreamPosition;
}

/** A presence `join`. */
export interface JoinEvent {
  channel: string;
  user: string;
  connections: number;
}

/** A presence `leave`. */
export interface LeaveEvent {
  channel: string;
  user: string;
}

/** One entry of a presence answer. */
export interface PresenceMember {
  user: string;
  connections: number;
}

/** Options of {@link ChannelClient.subscribe}. */
export interface SubscribeOptions {
  onPublication?: (p: ChannelPublication) => void;
  onResync?: (e: ResyncEvent) => void;
  onSubscribed?: (e: SubscribedEvent) => void;
  onJoin?: (e: JoinEvent) => void;
  onLeave?: (e: LeaveEvent) => void;
  /** Also get `join`/`leave` of the channel (default false). */
  presence?: boolean;
  /** Recover from this position (object or text form) instead of starting live. */
  since?: StreamPosition | string;
}

/** Options of a request. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply (default: the client's `requestTimeout`; 0: no limit). */
  timeout?: number;
  /** Cancels the request: it rejects with a `cancelled` {@link ReplyError}. */
  signal?: AbortSignal;
}

/** What a server request handler returns (or throws a {@link ReplyError} to answer an error). */
export type RequestHandler = (data: unknown) => unknown;

/** Counters of a {@link ChannelClient}. */
export interface ChannelClientStats {
  /** Publications dropped because their offset was not after the last one delivered. */
  duplicates: number;
  /** Times a gap (or an epoch change) made the client resubscribe with `since`. */
  gaps: number;
  /** Replies that came after their request timed out or was cancelled. */
  lateReplies: number;
  /** Resyncs answered by the server. */
  resyncs: number;
}

/** Events of a {@link ChannelClient}. */
export interface ChannelClientEvents {
  /** An `error` envelope of the server, a protocol violation, or a failed automatic subscription. */
  error: Error;
  /** The connection's close (from the underlying {@link WsClient}). */
  close: WsCloseInfo;
  /** The connection opened; `reconnect` after the first time. */
  open: { reconnect: boolean };
}

/** Options of a {@link ChannelClient}. */
export interface ChannelClientOptions {
  /**
   * Options of the {@link WsClient} made for a URL (ignored when a client is given). The client
   * heartbeat is on unless set here: `pingInterval` 25 000 ms, `pongTimeout` 10 000 ms (recovery
   * starts with noticing a dead connection; a silent network never reports one).
   */
  ws?: WsClientOptions<unknown, unknown>;
  /** Default request timeout in ms (default 10 000; 0: no limit). */
  requestTimeout?: number;
}

interface Pending {
  resolve: (data: unknown) => void;
  reject: (e: ReplyError) => void;
  /** The frame to send; null once sent. */
  frame: Record<string, unknown> | null;
  /** The connection it went out on. */
  conn: number;
  timer: ReturnType<typeof setTimeout> | null;
  cleanup: () => void;
}

interface Subscription {
  readonly channel: string;
  readonly options: SubscribeOptions;
  /** The last position delivered (or the top the subscription went live from). */
  position: StreamPosition | undefined;
  /** The id of the subscribe in flight, 0 when none. */
  attempt: number;
  /** Whether the current attempt asked for recovery. */
  recovering: boolean;
  recoveredCount: number;
  /** The connection the subscription is live (or being subscribed) on; 0 for none. */
  conn: number;
  /** Resolved/rejected by the first reply. */
  first: { resolve: (r: SubscribeReply) => void; reject: (e: ReplyError) => void } | null;
}

const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * A channel client over a {@link WsClient} (docs/channels.md).
 *
 * ```ts
 * const channels = new ChannelClient("wss://example.com/ws/channels?user=alice");
 * await channels.connect();
 * await channels.subscribe("room:lobby", { onPublication: (p) => show(p.data), presence: true });
 * const position = await channels.publish("room:lobby", { text: "hi" });
 * ```
 *
 * Every publication delivered has the offset after the previous one: a repeat is dropped and a
 * gap (or a new epoch) makes the client unsubscribe and subscribe again with `since`, so the
 * server sends what was missed or answers resync. After every reconnect the client subscribes
 * again with `since` = the last position it delivered. Requests (subscribe, publish, presence,
 * request) that have been sent fail with a `closed` {@link ReplyError} at once when the
 * connection closes; nothing is resent. Requests made while the connection is down wait for it.
 */
export class ChannelClient extends Emitter<ChannelClientEvents> {
  /** The WebSocket client underneath. */
  readonly ws: WsClient<unknown, unknown>;
  private readonly requestTimeout: number;
  private readonly subs = new Map<string, Subscription>();
  private readonly pending = new Map<number, Pending>();
  private handler: RequestHandler | null = null;
  private nextId = 1;
  /** Counts opens; 0 while not open. */
  private conn = 0;
  private opens = 0;
  private readonly statsValue: ChannelClientStats = { duplicates: 0, gaps: 0, lateReplies: 0, resyncs: 0 };

  /** A client for `url` (a new {@link WsClient}) or on top of `ws`; nothing happens before `connect()`. */
  constructor(url: string | (() => string) | WsClient<unknown, unknown>, options: ChannelClientOptions = {}) {
    super();
    this.ws =
      url instanceof WsClient
        ? url
        : new WsClient<unknown, unknown>(url, { pingInterval: 25_000, pongTimeout: 10_000, ...options.ws });
    this.requestTimeout = options.requestTimeout ?? 10_000;
    if (!(this.requestTimeout >= 0) || !Number.isFinite(this.requestTimeout)) {
      throw new RangeError("requestTimeout must be a finite number of ms >= 0, got " + options.requestTimeout);
    }
    if (this.ws.isConnected) this.conn = ++this.opens;
    this.ws.on("open", (e) => this.onOpen(e.reconnect));
    this.ws.on("close", (e) => this.onClose(e));
    this.ws.on("message", (m) => this.onMessage(m));
  }

  /** Opens the connection (see {@link WsClient.connect}). */
  connect(): Promise<void> {
    return this.ws.connect();
  }

  /** Closes for good: every unanswered request fails with `closed`. */
  close(code = 1000, reason = ""): void {
    const wasClosed = this.ws.state === "closed";
    this.ws.close(code, reason);
    // the WsClient reports its close event when the server answers; the requests fail now
    if (!wasClosed) this.onClose({ code, reason, wasClean: true, willReconnect: false, dropped: 0 }, false);
  }

  /** Counters: dropped duplicates, gaps, late replies, resyncs. */
  get stats(): Readonly<ChannelClientStats> {
    return { ...this.statsValue };
  }

  /** The channels subscribed. */
  get channels(): string[] {
    return [...this.subs.keys()];
  }

  /** The last position delivered on `channel` (or the one it went live from); undefined if none. */
  position(channel: string): StreamPosition | undefined {
    return this.subs.get(channel)?.position;
  }

  /**
   * Subscribes to `channel`; resolves with the first subscribe reply. A drop before the reply
   * does not reject: the client subscribes again when it reconnects. Rejects with a
   * {@link ReplyError} when the server refuses (the subscription is then forgotten), when
   * `unsubscribe` comes first, or when the client closes for good.
   */
  subscribe(channel: string, options: SubscribeOptions = {}): Promise<SubscribeReply> {
    checkChannel(channel);
    if (this.subs.has(channel)) {
      return Promise.reject(new ReplyError("bad_request", `already subscribed to channel ${JSON.stringify(channel)} on this client`));
    }
    let since: StreamPosition | undefined;
    if (options.since !== undefined) {
      since = typeof options.since === "string" ? parsePosition(options.since) : options.since;
      checkPosition(since, "since");
    }
    if (this.ws.state === "closed") {
      return Promise.reject(new ReplyError("closed", "the channel client is closed: call connect() first"));
    }
    return new Promise<SubscribeReply>((resolve, reject) => {
      const sub: Subscription = {
        channel,
        options,
        position: since,
        attempt: 0,
        recovering: false,
        recoveredCount: 0,
        conn: 0,
        first: { resolve, reject },
      };
      this.subs.set(channel, sub);
      if (this.conn) this.sendSubscribe(sub);
    });
  }

  /** Stops the subscription (locally at once; the server is told when connected). */
  async unsubscribe(channel: string): Promise<void> {
    const sub = this.subs.get(channel);
    if (!sub) return;
    this.subs.delete(channel);
    sub.first?.reject(new ReplyError("cancelled", `unsubscribed from ${JSON.stringify(channel)} before the subscribe reply`));
    sub.first = null;
    if (this.conn && sub.conn === this.conn) {
      try {
        await this.call({ type: "unsubscribe", channel });
      } catch (err) {
        if (!(err instanceof ReplyError && err.code === "closed")) throw err;
        // closed: the server forgets the subscription with the connection
      }
    }
  }

  /** Publishes `data` to `channel`; resolves with the position it got. */
  async publish(channel: string, data: unknown, options: RequestOptions = {}): Promise<StreamPosition> {
    checkChannel(channel);
    const reply = (await this.call({ type: "publish", channel, data }, options)) as { epoch: string; offset: number };
    return { epoch: reply.epoch, offset: reply.offset };
  }

  /** Who is connected to `channel`, sorted by user. */
  async presence(channel: string, options: RequestOptions = {}): Promise<PresenceMember[]> {
    checkChannel(channel);
    const reply = (await this.call({ type: "presence", channel }, options)) as { members: PresenceMember[] };
    return reply.members;
  }

  /** Sends `{"type":"request","data":...}`; resolves with the reply's data. */
  request(data: unknown, options: RequestOptions = {}): Promise<unknown> {
    return this.call({ type: "request", data }, options);
  }

  /**
   * Answers the server's requests: the handler's value (or promise) is the reply's data; a
   * thrown {@link ReplyError} answers its code and message, anything else `internal`. Without a
   * handler the client answers `internal`. Replaces the previous handler.
   */
  onRequest(handler: RequestHandler | null): void {
    this.handler = handler;
  }

  // ---- requests -------------------------------------------------------------------------------

  private call(envelope: Record<string, unknown>, options: RequestOptions = {}): Promise<unknown> {
    if (this.ws.state === "closed") {
      return Promise.reject(new ReplyError("closed", "the channel client is closed: call connect() first"));
    }
    const timeout = options.timeout ?? this.requestTimeout;
    if (!(timeout >= 0) || !Number.isFinite(timeout)) {
      return Promise.reject(new RangeError("timeout must be a finite number of ms >= 0, got " + timeout));
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new ReplyError("cancelled", `${String(envelope.type)} cancelled before it was sent`));
    const id = this.allocateId();
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => this.fail(id, new ReplyError("cancelled", `${String(envelope.type)} ${id} cancelled (AbortSignal)`));
      const p: Pending = {
        resolve,
        reject,
        frame: { ...envelope, id },
        conn: 0,
        timer: null,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      if (timeout > 0) {
        p.timer = setTimeout(() => this.fail(id, new ReplyError("timeout", `no reply to ${String(envelope.type)} ${id} within ${timeout} ms`)), timeout);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, p);
      if (this.conn) this.flush(p);
    });
  }

  private allocateId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= MAX_ID ? 1 : this.nextId + 1;
    return id;
  }

  private flush(p: Pending): void {
    const frame = p.frame;
    if (!frame || !this.ws.isConnected) return;
    p.frame = null;
    p.conn = this.conn;
    this.ws.send(frame);
  }

  /** Settles request `id` with an error (and forgets it). */
  private fail(id: number, error: ReplyError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    p.cleanup();
    p.reject(error);
  }

  private settle(id: number, reply: Record<string, unknown>): void {
    const p = this.pending.get(id);
    if (!p) {
      this.statsValue.lateReplies++;
      return;
    }
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    p.cleanup();
    if (reply.error !== undefined || reply.code !== undefined) {
      p.reject(new ReplyError(typeof reply.code === "string" ? reply.code : "internal", String(reply.error ?? "error")));
    } else {
      p.resolve(reply.data);
    }
  }

  // ---- subscriptions --------------------------------------------------------------------------

  private sendSubscribe(sub: Subscription): void {
    const envelope: Record<string, unknown> = { type: "subscribe", channel: sub.channel };
    if (sub.position) envelope.since = { epoch: sub.position.epoch, offset: sub.position.offset };
    if (sub.options.presence) envelope.presence = true;
    sub.recovering = sub.position !== undefined;
    sub.recoveredCount = 0;
    sub.conn = this.conn;
    const automatic = sub.first === null;
    const attempt = this.nextId;
    sub.attempt = attempt;
    this.call(envelope).then(
      (data) => this.onSubscribeReply(sub, attempt, data as SubscribeReply, automatic),
      (err: ReplyError) => this.onSubscribeFailed(sub, attempt, err),
    );
  }

  private onSubscribeReply(sub: Subscription, attempt: number, reply: SubscribeReply, automatic: boolean): void {
    if (this.subs.get(sub.channel) !== sub || sub.attempt !== attempt) return;
    sub.attempt = 0;
    if (!reply || typeof reply.epoch !== "string" || !Number.isSafeInteger(reply.offset)) {
      this.emit("error", new Error(`subscribe reply for ${JSON.stringify(sub.channel)} without a position: ${JSON.stringify(reply)}`));
      return;
    }
    const top: StreamPosition = { epoch: reply.epoch, offset: reply.offset };
    const from = sub.position;
    let resync: string | undefined;
    if (reply.resync !== undefined) {
      resync = String(reply.resync);
      this.statsValue.resyncs++;
      sub.position = top;
    } else if (!sub.recovering || !from) {
      sub.position = top;
    } else if (from.epoch !== top.epoch || from.offset < top.offset) {
      // the server said recovered but something is missing: ask again
      this.resubscribe(sub);
      return;
    }
    sub.recovering = false;
    const first = sub.first;
    sub.first = null;
    if (resync !== undefined) call(sub.options.onResync, { channel: sub.channel, reason: resync, from, position: top });
    call(sub.options.onSubscribed, {
      channel: sub.channel,
      position: sub.position!,
      recovered: reply.recovered === true,
      recoveredCount: sub.recoveredCount,
      resync,
      automatic,
    });
    first?.resolve(reply);
  }

  private onSubscribeFailed(sub: Subscription, attempt: number, err: ReplyError): void {
    if (this.subs.get(sub.channel) !== sub || sub.attempt !== attempt) return;
    sub.attempt = 0;
    if (err.code === "closed" && this.ws.state !== "closed") return; // again after the reconnect
    this.subs.delete(sub.channel);
    if (sub.first) {
      sub.first.reject(err);
      sub.first = null;
    } else {
      this.emit("error", new ReplyError(err.code, `subscription to ${JSON.stringify(sub.channel)} ended: ${err.message}`, err.closeCode));
    }
  }

  /** A gap or a new epoch: unsubscribe and subscribe again with `since` on this connection. */
  private resubscribe(sub: Subscription): void {
    this.statsValue.gaps++;
    sub.recovering = true;
    sub.attempt = -1; // drops the replies of the old attempt, and live publications meanwhile
    this.call({ type: "unsubscribe", channel: sub.channel }).then(
      () => {
        if (this.subs.get(sub.channel) === sub && sub.conn === this.conn) this.sendSubscribe(sub);
      },
      () => {
        // closed: the reconnect subscribes again; other errors: try the subscribe anyway
        if (this.subs.get(sub.channel) === sub && sub.conn === this.conn && this.conn) this.sendSubscribe(sub);
      },
    );
  }

  private onPub(m: Record<string, unknown>): void {
    const sub = typeof m.channel === "string" ? this.subs.get(m.channel) : undefined;
    if (!sub || sub.conn !== this.conn) return;
    const epoch = m.epoch;
    const offset = m.offset;
    if (typeof epoch !== "string" || !Number.isSafeInteger(offset)) {
      this.emit("error", new Error(`pub without a valid position: ${JSON.stringify(m).slice(0, 200)}`));
      return;
    }
    const pos = sub.position;
    if (sub.attempt === -1) return; // unsubscribing to recover: the recovery sends these again
    if (!pos) {
      if (sub.attempt !== 0) return; // a fresh subscribe: nothing comes before its reply
      this.emit("error", new Error(`pub of ${JSON.stringify(sub.channel)} without a known position`));
      return;
    }
    if (epoch !== pos.epoch) {
      if (sub.recovering) return; // the reply will say resync
      this.resubscribe(sub);
      return;
    }
    const o = offset as number;
    if (o <= pos.offset) {
      this.statsValue.duplicates++;
      return;
    }
    if (o !== pos.offset + 1) {
      if (!sub.recovering) this.resubscribe(sub);
      return;
    }
    sub.position = { epoch, offset: o };
    if (sub.recovering) sub.recoveredCount++;
    call(sub.options.onPublication, { channel: sub.channel, position: sub.position, data: m.data });
  }

  // ---- connection -----------------------------------------------------------------------------

  private onOpen(reconnect: boolean): void {
    this.conn = ++this.opens;
    for (const sub of this.subs.values()) this.sendSubscribe(sub);
    for (const p of [...this.pending.values()]) this.flush(p);
    this.emit("open", { reconnect });
  }

  private onClose(e: WsCloseInfo, report = true): void {
    const closed = this.conn;
    this.conn = 0;
    const why = `the connection closed (${e.code}${e.reason ? " " + e.reason : ""}) before the reply`;
    for (const [id, p] of [...this.pending]) {
      if ((closed !== 0 && p.conn === closed) || !e.willReconnect) this.fail(id, new ReplyError("closed", why, e.code));
    }
    if (!e.willReconnect) {
      for (const sub of this.subs.values()) {
        sub.first?.reject(new ReplyError("closed", `the connection closed (${e.code}) before subscribing to ${JSON.stringify(sub.channel)}`, e.code));
        sub.first = null;
      }
    }
    for (const sub of this.subs.values()) {
      sub.conn = 0;
      sub.attempt = 0;
      sub.recovering = false;
    }
    if (report) this.emit("close", e);
  }

  private onMessage(raw: unknown): void {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      this.emit("error", new Error("a frame that is not a JSON object: " + JSON.stringify(raw)?.slice(0, 100)));
      return;
    }
    const m = raw as Record<string, unknown>;
    switch (m.type) {
      case "pub":
        this.onPub(m);
        return;
      case "reply":
        if (isId(m.id)) this.settle(m.id, m);
        else this.emit("error", new Error(`reply with an invalid id: ${JSON.stringify(m.id)}`));
        return;
      case "join":
      case "leave": {
        const sub = typeof m.channel === "string" ? this.subs.get(m.channel) : undefined;
        if (!sub || typeof m.user !== "string") return;
        if (m.type === "join") call(sub.options.onJoin, { channel: sub.channel, user: m.user, connections: Number(m.connections ?? 1) });
        else call(sub.options.onLeave, { channel: sub.channel, user: m.user });
        return;
      }
      case "request":
        this.onServerRequest(m);
        return;
      case "error":
        this.emit("error", new Error("server error: " + String(m.error)));
        return;
      default:
        this.emit("error", new Error(`unknown channel envelope type ${JSON.stringify(m.type)}`));
    }
  }

  private onServerRequest(m: Record<string, unknown>): void {
    if (!isId(m.id)) {
      this.emit("error", new Error(`server request with an invalid id: ${JSON.stringify(m.id)}`));
      return;
    }
    const id = m.id;
    const conn = this.conn;
    const answer = (body: Record<string, unknown>) => {
      if (this.conn !== conn || conn === 0) return; // that connection is gone: nobody waits
      this.ws.send({ type: "reply", id, ...body });
    };
    const failWith = (err: unknown) =>
      err instanceof ReplyError
        ? answer({ error: err.message, code: err.code })
        : answer({ error: err instanceof Error ? err.message : String(err), code: "internal" });
    const handler = this.handler;
    if (!handler) {
      answer({ error: "this client has no request handler (onRequest)", code: "internal" });
      return;
    }
    let result: unknown;
    try {
      result = handler(m.data);
    } catch (err) {
      failWith(err);
      return;
    }
    Promise.resolve(result).then((data) => answer({ data: data === undefined ? null : data }), failWith);
  }
}

function isId(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
}

function checkChannel(channel: string): void {
  if (typeof channel !== "string" || channel.length < 1 || channel.length > 200 || /[\s\p{Cc}*]/u.test(channel)) {
    throw new RangeError(`channel name must be 1-200 characters without control characters, whitespace or '*', got ${JSON.stringify(channel)}`);
  }
}

function call<T>(f: ((v: T) => void) | undefined, v: T): void {
  if (!f) return;
  try {
    f(v);
  } catch (err) {
    console.error("servicekit: a channel callback threw", err);
  }
}
