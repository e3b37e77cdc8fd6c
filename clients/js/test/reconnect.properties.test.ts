import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type MockWebSocket,
  NotConnectedError,
  RETRYABLE_CLOSE_CODES,
  ReadyState,
  SendQueueFullError,
  WsClient,
  type WsCloseInfo,
  backoffDelay,
  createMockWSPair,
  resolveBackoff,
} from "../src/index.js";

// Model-based property test of WsClient's reconnection, send queue and timers: fast-check
// generates command sequences (connect, close, socket open / close with a code / error, sends,
// time passing, pongs, an error listener that closes the client) against the mock WebSocket
// under vitest's fake clock; after every command the client's invariants are checked against a
// model. Fixed seed and run count.

/** The client settings of one run. */
interface Setup {
  initialDelay: number;
  maxDelay: number;
  factor: number;
  maxAttempts: number;
  maxQueue: number;
  connectTimeout: number;
  heartbeat: { pingInterval: number; pongTimeout: number } | null;
  randoms: number[];
}

const setupArb: fc.Arbitrary<Setup> = fc
  .record({
    initialDelay: fc.integer({ min: 0, max: 1000 }),
    extra: fc.integer({ min: 0, max: 5000 }),
    factor: fc.constantFrom(1, 1.5, 2, 3),
    maxAttempts: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 1, max: 6 })),
    maxQueue: fc.integer({ min: 0, max: 4 }),
    connectTimeout: fc.constantFrom(0, 200, 1500),
    heartbeat: fc.option(fc.record({ pingInterval: fc.constantFrom(250, 700), pongTimeout: fc.constantFrom(0, 100, 400) }), { nil: null }),
    randoms: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 8 }),
  })
  .map(({ extra, ...s }) => ({ ...s, maxDelay: s.initialDelay + extra }));

/** One observation, in the order the client made it. */
type Entry =
  | { k: "connect" }
  | { k: "closing" }
  | { k: "socket"; t: number }
  | { k: "open"; reconnect: boolean; flushed: unknown[] }
  | { k: "close"; info: WsCloseInfo }
  | { k: "reconnecting"; attempt: number; delay: number; t: number }
  | { k: "error"; message: string };

/** The client under test, its mock sockets, and what it did. */
interface Real {
  client: WsClient<unknown, unknown>;
  sockets: MockWebSocket[];
  log: Entry[];
  closeOnNextError: boolean;
  seq: number;
}

/** What the client should be doing, rebuilt from the commands and checked against the log. */
interface Model {
  setup: Setup;
  phase: "idle" | "active" | "closed";
  open: boolean;
  openedOnce: boolean;
  /** Frames `send` queued, in order. */
  queue: string[];
  /** Reconnection attempts since the last open or connect(). */
  retries: number;
  /** When the scheduled attempt makes its socket (fake clock), or null when none is scheduled. */
  retryAt: number | null;
  /** connect() from idle/closed: its socket comes at once. */
  socketDue: boolean;
  /** Log entries already checked. */
  seen: number;
  /** A willReconnect close must be followed by its reconnecting event. */
  reconnectingDue: boolean;
  /** close() of an open socket: its close event comes with the socket's answer or the close timeout. */
  closePending: boolean;
}

const retryable = new Set(RETRYABLE_CLOSE_CODES);
/** Close codes that end the client (docs/clients.md): 1000, the client's faults, policy, 3000-4999. */
const ENDING_CLOSE_CODES = [1000, 1002, 1003, 1007, 1008, 1009, 1010, 1015, 3000, 4000, 4401, 4999];

/** min(maxDelay, initialDelay × factor^(attempt−1)), the documented bound (0 when initialDelay is 0, whatever the attempt). */
function boundOf(initialDelay: number, maxDelay: number, factor: number, attempt: number): number {
  return initialDelay === 0 ? 0 : Math.min(maxDelay, initialDelay * Math.pow(factor, attempt - 1));
}

/** The socket the client listens to (its handlers are removed when it lets go of one). */
function attached(r: Real): MockWebSocket[] {
  return r.sockets.filter((s) => s.onclose !== null || s.onopen !== null || s.onmessage !== null);
}

/** Checks the new log entries and the client's state against the model, updating the model. */
function check(m: Model, r: Real): void {
  const s = m.setup;
  for (; m.seen < r.log.length; m.seen++) {
    const e = r.log[m.seen]!;
    const at = `log[${m.seen}] ${JSON.stringify(e)} in ${JSON.stringify(r.log.slice(0, m.seen + 1))}`;
    if (m.reconnectingDue) {
      expect(e.k, "a willReconnect close is followed by its reconnecting event: " + at).toBe("reconnecting");
    }
    switch (e.k) {
      case "connect":
        if (m.phase !== "active") {
          m.phase = "active";
          m.retries = 0;
          m.socketDue = true;
        }
        break;
      case "closing":
        // close() of an open socket: closed at once, the event waits for the socket or closeTimeout
        if (m.phase === "active" && m.open) {
          m.closePending = true;
          m.phase = "closed";
          m.open = false;
          m.retryAt = null;
          m.socketDue = false;
          expect(m.queue, "nothing is held while open: " + at).toEqual([]);
        }
        break;
      case "socket":
        // never a socket after close() or a non-retryable stop, and only when one is due
        expect(m.phase, "socket while not active: " + at).toBe("active");
        if (m.socketDue) {
          m.socketDue = false;
        } else {
          expect(m.retryAt, "a socket nobody scheduled: " + at).not.toBeNull();
          // exactly after its delay; fake timers run a 0 ms timer set inside a timer 1 ms later
          expect(e.t, "the retry starts after its delay: " + at).toBeGreaterThanOrEqual(m.retryAt!);
          expect(e.t, "the retry starts after its delay: " + at).toBeLessThanOrEqual(m.retryAt! + 1);
          m.retryAt = null;
        }
        break;
      case "open":
        expect(m.phase, at).toBe("active");
        // the queue goes out, in order, before the open event
        expect(e.flushed, "queued frames flushed in order: " + at).toEqual(m.queue);
        expect(e.reconnect, at).toBe(m.openedOnce);
        m.queue = [];
        m.open = true;
        m.openedOnce = true;
        m.retries = 0; // the backoff starts over
        break;
      case "close":
        if (m.closePending && !e.info.willReconnect) {
          // the deferred report of close(): before any later connect() goes on
          m.closePending = false;
          expect(e.info.dropped, at).toBe(0);
          break;
        }
        expect(m.phase, "close event while not active: " + at).toBe("active");
        m.open = false;
        if (e.info.willReconnect) {
          m.reconnectingDue = true;
        } else {
          expect(e.info.dropped, "dropped = what was queued: " + at).toBe(m.queue.length);
          m.queue = [];
          m.phase = "closed";
          m.retryAt = null;
          m.socketDue = false;
        }
        break;
      case "reconnecting": {
        m.reconnectingDue = false;
        expect(m.phase, "reconnecting while not active: " + at).toBe("active");
        expect(e.attempt, "attempts count from 1 after each open: " + at).toBe(m.retries + 1);
        expect(e.attempt, "never more than maxAttempts: " + at).toBeLessThanOrEqual(s.maxAttempts);
        const bound = boundOf(s.initialDelay, s.maxDelay, s.factor, m.retries + 1);
        expect(e.delay, at).toBeGreaterThanOrEqual(0);
        expect(e.delay, "delay within the cap: " + at).toBeLessThanOrEqual(s.maxDelay);
        expect(e.delay, "delay within this attempt's bound: " + at).toBeLessThanOrEqual(bound);
        expect(Number.isInteger(e.delay), at).toBe(true);
        m.retries++;
        m.retryAt = e.t + e.delay;
        break;
      }
      case "error":
        break;
    }
  }
  const c = r.client;
  // at most one socket at a time: one the client listens to, at most one open it has not closed
  const live = attached(r);
  expect(live.length).toBeLessThanOrEqual(1);
  if (live.length === 1) expect(live[0]).toBe(r.sockets[r.sockets.length - 1]);
  expect(r.sockets.filter((x) => x.readyState === ReadyState.OPEN && x.closedWith === null).length).toBeLessThanOrEqual(1);
  // the queue bound
  expect(c.queued).toBeLessThanOrEqual(s.maxQueue);
  expect(c.queued).toBe(m.queue.length);
  expect(c.isConnected).toBe(m.open);
  if (m.phase === "closed") {
    expect(c.state).toBe("closed");
    // a close() of an open socket still listens to that socket, with its close timer
    const pending = m.closePending ? 1 : 0;
    expect(live.length).toBe(pending);
    expect(vi.getTimerCount(), "no timer left after the client stopped").toBe(pending);
  } else if (m.phase === "idle") {
    expect(c.state).toBe("idle");
  } else {
    expect(c.state).not.toBe("closed");
    if (m.retryAt !== null) expect(Date.now(), "a retry past its time has started").toBeLessThanOrEqual(m.retryAt);
  }
}

type Cmd = fc.Command<Model, Real>;

class Connect implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    r.log.push({ k: "connect" });
    r.client.connect().catch(() => {});
    check(m, r);
  }
  toString = () => "connect()";
}

class Close implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    const before = m.phase;
    r.log.push({ k: "closing" });
    r.client.close();
    if (before === "idle") {
      m.phase = "closed"; // no event: nothing was connected; queued sends are dropped
      m.queue = [];
    }
    check(m, r);
    expect(m.phase).toBe("closed");
  }
  toString = () => "close()";
}

class CloseOnNextError implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    r.closeOnNextError = true;
    check(m, r);
  }
  toString = () => "an error listener that calls close()";
}

class SocketOpens implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    const s = attached(r)[0];
    if (!s || s.readyState !== ReadyState.CONNECTING) return;
    s.readyState = ReadyState.OPEN;
    s.onopen?.({});
    check(m, r);
  }
  toString = () => "socket opens";
}

class SocketCloses implements Cmd {
  constructor(readonly code: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const s = attached(r)[0];
    if (!s) return;
    const stops = !retryable.has(this.code) || m.retries >= m.setup.maxAttempts || m.closePending;
    s.readyState = ReadyState.CLOSED;
    s.onclose?.({ code: this.code, reason: "", wasClean: this.code !== 1006 });
    check(m, r);
    // a non-retryable code, or maxAttempts used up, stops the client for good
    expect(m.phase).toBe(stops ? "closed" : "active");
  }
  toString = () => `socket closes with ${this.code}`;
}

class SocketError implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    const s = attached(r)[0];
    if (!s) return;
    s.onerror?.({ type: "error" });
    check(m, r);
  }
  toString = () => "socket error";
}

class Send implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    const n = r.seq++;
    const frame = JSON.stringify(n);
    let thrown: unknown = null;
    try {
      r.client.send(n);
    } catch (err) {
      thrown = err;
    }
    const max = m.setup.maxQueue;
    if (m.phase === "closed") {
      expect(thrown).toBeInstanceOf(NotConnectedError);
    } else if (m.open) {
      expect(thrown).toBeNull();
      expect(attached(r)[0]!.sent.at(-1)).toBe(frame);
    } else if (max === 0) {
      expect(thrown).toBeInstanceOf(NotConnectedError);
    } else if (m.queue.length >= max) {
      expect(thrown).toBeInstanceOf(SendQueueFullError);
    } else {
      expect(thrown).toBeNull();
      m.queue.push(frame);
    }
    check(m, r);
  }
  toString = () => "send";
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    vi.advanceTimersByTime(this.ms);
    check(m, r);
  }
  toString = () => `advance ${this.ms} ms`;
}

class NextTimer implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    vi.advanceTimersToNextTimer();
    check(m, r);
  }
  toString = () => "advance to the next timer";
}

class Pong implements Cmd {
  check = () => true;
  run(m: Model, r: Real): void {
    const s = attached(r)[0];
    if (!s || s.readyState !== ReadyState.OPEN) return;
    const pings = s.sent.filter((f): f is string => typeof f === "string" && f.startsWith('{"type":"ping"'));
    const last = pings.at(-1);
    if (!last) return;
    s.onmessage?.({ data: JSON.stringify({ type: "pong", pingId: (JSON.parse(last) as { pingId: number }).pingId }) });
    check(m, r);
  }
  toString = () => "pong to the last ping";
}

/** `arb` listed `times` times: fc.commands picks among its list uniformly, so this weights it. */
function weighted<T>(times: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T>[] {
  return Array.from({ length: times }, () => arb);
}

const commandsArb = fc.commands(
  [
    ...weighted(2, fc.constant(new Connect())),
    fc.constant(new Close()),
    fc.constant(new CloseOnNextError()),
    ...weighted(4, fc.constant(new SocketOpens())),
    ...weighted(3, fc.constantFrom(1000, 1001, 1006, 1011, 1012, 1013, 4000, 4999).map((c) => new SocketCloses(c))),
    fc.constantFrom(...ENDING_CLOSE_CODES).map((c) => new SocketCloses(c)),
    fc.constant(new SocketError()),
    ...weighted(3, fc.constant(new Send())),
    ...weighted(2, fc.oneof(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 6000 })).map((ms) => new Advance(ms))),
    ...weighted(2, fc.constant(new NextTimer())),
    ...weighted(2, fc.constant(new Pong())),
  ],
  { maxCommands: 60, size: "medium" },
);

function start(setup: Setup): { model: Model; real: Real } {
  vi.clearAllTimers();
  const { WebSocket, controller } = createMockWSPair();
  let i = 0;
  const random = () => setup.randoms[i++ % setup.randoms.length]!;
  const real: Real = { client: null as unknown as WsClient, sockets: controller.sockets, log: [], closeOnNextError: false, seq: 0 };
  const Logged = class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      real.log.push({ k: "socket", t: Date.now() });
    }
  };
  const client = new WsClient<unknown, unknown>("ws://test/model", {
    WebSocket: Logged,
    reconnect: { initialDelay: setup.initialDelay, maxDelay: setup.maxDelay, factor: setup.factor, maxAttempts: setup.maxAttempts, random },
    maxQueue: setup.maxQueue,
    connectTimeout: setup.connectTimeout,
    ...(setup.heartbeat ?? {}),
  });
  real.client = client;
  client.on("open", (e) => {
    const s = controller.socket;
    real.log.push({ k: "open", reconnect: e.reconnect, flushed: [...s.sent] });
  });
  client.on("close", (info) => real.log.push({ k: "close", info }));
  client.on("reconnecting", (e) => real.log.push({ k: "reconnecting", ...e, t: Date.now() }));
  client.on("error", (e) => {
    real.log.push({ k: "error", message: e.message });
    if (real.closeOnNextError) {
      real.closeOnNextError = false;
      real.log.push({ k: "closing" });
      client.close();
    }
  });
  const model: Model = {
    setup,
    phase: "idle",
    open: false,
    openedOnce: false,
    queue: [],
    retries: 0,
    retryAt: null,
    socketDue: false,
    seen: 0,
    reconnectingDue: false,
    closePending: false,
  };
  return { model, real };
}

describe("WsClient reconnection (model-based)", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] }));
  afterEach(() => vi.useRealTimers());

  it("keeps its invariants under any sequence of opens, close codes, errors, sends, time and close()", () => {
    // Invariants, after every command:
    // - every reconnect delay is an integer in [0, min(maxDelay, initialDelay*factor^(n-1))], n the
    //   attempt since the last open (a successful open resets n: attempts count from 1 again),
    //   there are never more than maxAttempts in a row, and the next socket comes exactly after it;
    // - no socket and no reconnecting event after close() or after a stop (a code of
    //   not in RETRYABLE_CLOSE_CODES, maxAttempts used up) until connect() is called again, and no
    //   timer is left running then;
    // - at most one socket is listened to (the newest) and at most one is open;
    // - send queues at most maxQueue frames (SendQueueFullError beyond, NotConnectedError when
    //   closed or maxQueue is 0), sends at once when open, and the queue is flushed in order on
    //   open, before the open event; a stop reports the queued frames as dropped;
    // - close() of an open socket is "closed" at once, and its one close event comes when the
    //   socket answers or after closeTimeout, always before a later connect() starts.
    fc.assert(
      // most runs start with connect(), some send first (queued before connect) or never connect
      fc.property(setupArb, fc.integer({ min: 0, max: 4 }).map((n) => n > 0), commandsArb, (setup, connectFirst, cmds) => {
        fc.modelRun(() => {
          const started = start(setup);
          if (connectFirst) new Connect().run(started.model, started.real);
          return started;
        }, cmds);
      }),
      { numRuns: 500, seed: 0xbac0ff },
    );
  });

  it("the backoff bound holds for any options and random source", () => {
    // Invariant: backoffDelay(n) is an integer in [0, min(maxDelay, initialDelay*factor^(n-1))],
    // below the bound when the bound is positive, for any valid options and random in [0, 1).
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialDelay, extra, factor, n, r) => {
          const options = resolveBackoff({ initialDelay, maxDelay: initialDelay + extra, factor, random: () => r });
          const bound = boundOf(initialDelay, initialDelay + extra, factor, n);
          const d = backoffDelay(n, options);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(bound);
          if (bound > 0) expect(d).toBeLessThan(bound);
        },
      ),
      { numRuns: 1000, seed: 0xbac0 },
    );
  });
});
