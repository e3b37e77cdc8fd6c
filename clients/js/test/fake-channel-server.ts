import type { MockWSController, MockWebSocket } from "../src/index.js";

// A small in-memory model of the server side of docs/channels.md for the client tests: it reads
// what the client sent on each mock socket and answers as the protocol says. Faults can be
// injected into live delivery (a lost or a repeated `pub`) to exercise the client's continuity
// check.

export interface StoredPub {
  offset: number;
  data: unknown;
}

interface ChannelState {
  epoch: string;
  top: number;
  history: StoredPub[];
}

interface Conn {
  socket: MockWebSocket;
  read: number;
  subs: Map<string, { presence: boolean }>;
}

export class FakeChannelServer {
  readonly channels = new Map<string, ChannelState>();
  private readonly conns: Conn[] = [];
  private epochSeq = 0;
  /** Live deliveries to drop (each lost `pub` decrements it). */
  loseNext = 0;
  /** Live deliveries to send twice. */
  repeatNext = 0;
  /** Requests the server leaves unanswered when this says so. */
  ignore: (frame: Record<string, unknown>) => boolean = () => false;
  /** Frames received, in order. */
  readonly received: Record<string, unknown>[] = [];

  constructor(
    private readonly controller: MockWSController,
    private readonly maxHistory = Number.POSITIVE_INFINITY,
    private readonly user = "alice",
  ) {}

  channel(name: string): ChannelState {
    let c = this.channels.get(name);
    if (!c) {
      c = { epoch: this.newEpoch(), top: 0, history: [] };
      this.channels.set(name, c);
    }
    return c;
  }

  newEpoch(): string {
    return "e" + (++this.epochSeq).toString(36);
  }

  /** The history restarts with a new epoch (e.g. a lost Redis key). */
  resetEpoch(name: string): void {
    const c = this.channel(name);
    c.epoch = this.newEpoch();
    c.top = 0;
    c.history = [];
  }

  /** Publishes from outside (another connection); delivers live to the subscribers. */
  publish(name: string, data: unknown): number {
    const c = this.channel(name);
    const offset = ++c.top;
    c.history.push({ offset, data });
    while (c.history.length > this.maxHistory) c.history.shift();
    for (const conn of this.openConns()) {
      if (!conn.subs.has(name)) continue;
      const frame = { type: "pub", channel: name, epoch: c.epoch, offset, data };
      if (this.loseNext > 0) {
        this.loseNext--;
        continue;
      }
      this.send(conn, frame);
      if (this.repeatNext > 0) {
        this.repeatNext--;
        this.send(conn, frame);
      }
    }
    return offset;
  }

  /** Sends a frame to the current socket. */
  push(frame: unknown): void {
    const conn = this.openConns().at(-1);
    if (conn) this.send(conn, frame);
  }

  /** Handles everything the clients sent so far (and what that makes them send). */
  pump(): void {
    for (let guard = 0; guard < 1000; guard++) {
      let any = false;
      for (const s of this.controller.sockets) {
        let conn = this.conns.find((c) => c.socket === s);
        if (!conn) {
          conn = { socket: s, read: 0, subs: new Map() };
          this.conns.push(conn);
        }
        while (conn.read < s.sent.length) {
          const raw = s.sent[conn.read++]!;
          any = true;
          if (s.readyState !== 1) continue;
          this.handle(conn, JSON.parse(raw as string) as Record<string, unknown>);
        }
      }
      if (!any) return;
    }
    throw new Error("the client keeps sending: a loop?");
  }

  private openConns(): Conn[] {
    this.pump0();
    return this.conns.filter((c) => c.socket.readyState === 1);
  }

  /** Registers sockets without handling their frames. */
  private pump0(): void {
    for (const s of this.controller.sockets) {
      if (!this.conns.some((c) => c.socket === s)) this.conns.push({ socket: s, read: 0, subs: new Map() });
    }
  }

  private send(conn: Conn, frame: unknown): void {
    if (conn.socket.readyState !== 1) return;
    conn.socket.onmessage?.({ data: JSON.stringify(frame) });
  }

  private reply(conn: Conn, id: unknown, data: unknown): void {
    this.send(conn, { type: "reply", id, data });
  }

  private handle(conn: Conn, f: Record<string, unknown>): void {
    this.received.push(f);
    if (f.type === "pong" || f.type === "reply") return;
    if (this.ignore(f)) return;
    const name = f.channel as string;
    switch (f.type) {
      case "subscribe": {
        const c = this.channel(name);
        if (conn.subs.has(name)) {
          this.reply(conn, f.id, { channel: name, epoch: c.epoch, offset: c.top, recovered: false });
          return;
        }
        const since = f.since as { epoch: string; offset: number } | undefined;
        if (!since) {
          conn.subs.set(name, { presence: f.presence === true });
          this.reply(conn, f.id, { channel: name, epoch: c.epoch, offset: c.top, recovered: false });
          return;
        }
        const first = c.history.length ? c.history[0]!.offset : c.top + 1;
        let resync: string | undefined;
        if (since.epoch !== c.epoch) resync = "epoch_changed";
        else if (since.offset > c.top) resync = "ahead";
        else if (since.offset + 1 < first) resync = "evicted";
        conn.subs.set(name, { presence: f.presence === true });
        if (resync) {
          this.reply(conn, f.id, { channel: name, epoch: c.epoch, offset: c.top, recovered: false, resync });
          return;
        }
        for (const p of c.history) {
          if (p.offset > since.offset) this.send(conn, { type: "pub", channel: name, epoch: c.epoch, offset: p.offset, data: p.data });
        }
        this.reply(conn, f.id, { channel: name, epoch: c.epoch, offset: c.top, recovered: true });
        return;
      }
      case "unsubscribe":
        conn.subs.delete(name);
        this.reply(conn, f.id, { channel: name });
        return;
      case "publish": {
        const offset = this.publish(name, f.data);
        this.reply(conn, f.id, { channel: name, epoch: this.channel(name).epoch, offset });
        return;
      }
      case "presence":
        this.reply(conn, f.id, { channel: name, members: [{ user: this.user, connections: 1 }] });
        return;
      case "request":
        if ((f.data as { fail?: string } | null)?.fail) {
          this.send(conn, { type: "reply", id: f.id, error: "refused by the test", code: (f.data as { fail: string }).fail });
          return;
        }
        this.reply(conn, f.id, { echo: f.data });
        return;
      default:
        this.send(conn, { type: "error", error: "unknown type " + String(f.type) });
    }
  }
}
