import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HttpError, type MockRequest, SseClient, SseLimitError, type SseMessage, createMockFetch } from "../src/index.js";

/** Lets the client's promise chains run (fetch, body reads). */
const settle = () => vi.advanceTimersByTimeAsync(0);

function setup(options: ConstructorParameters<typeof SseClient>[1] = {}) {
  const { fetch, controller } = createMockFetch();
  const client = new SseClient("http://test/events", { fetch, ...options });
  const events: SseMessage[] = [];
  const errors: Error[] = [];
  const closes: string[] = [];
  const delays: number[] = [];
  client.on("event", (e) => events.push(e));
  client.on("error", (e) => errors.push(e));
  client.on("close", (e) => closes.push(e.reason));
  client.on("reconnecting", (e) => delays.push(e.delay));
  return { client, controller, events, errors, closes, delays };
}

async function open(r: MockRequest, text = "") {
  r.respondStream();
  if (text) r.write(text);
  await settle();
}

describe("SseClient", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("asks for an event stream and dispatches events by name", async () => {
    const { client, controller, events } = setup({ headers: { Authorization: "Bearer t" } });
    const ticks: string[] = [];
    const messages: string[] = [];
    client.onEvent("tick", (m) => ticks.push(m.data));
    client.on("message", (m) => messages.push(m.data));
    client.connect();
    const r = await controller.request(0);
    expect(r.method).toBe("GET");
    expect(r.headers).toMatchObject({ accept: "text/event-stream", authorization: "Bearer t" });
    expect(r.headers["last-event-id"]).toBeUndefined();
    await open(r, "event: tick\ndata: {\"seq\":1}\n\ndata: plain\n\n");
    expect(client.state).toBe("open");
    expect(ticks).toEqual(['{"seq":1}']);
    expect(messages).toEqual(["plain"]);
    expect(events).toHaveLength(2);
  });

  it("resumes with Last-Event-ID after the stream ends, waiting the server's retry", async () => {
    const { client, controller, delays } = setup({ reconnect: { initialDelay: 50, random: () => 0.5 } });
    client.connect();
    const first = await controller.request(0);
    await open(first, "retry: 2000\nid: 41\nevent: tick\ndata: a\n\nid: 42\nevent: tick\ndata: b\n\n");
    first.end();
    await settle();
    expect(client.state).toBe("reconnecting");
    expect(delays).toEqual([2000]);
    await vi.advanceTimersByTimeAsync(1999);
    expect(controller.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const second = await controller.request(1);
    expect(second.headers["last-event-id"]).toBe("42");
    expect(client.retry).toBe(2000);
  });

  it("a dropped body (network error) reconnects too, and the retry is a floor for later waits", async () => {
    const { client, controller, delays, errors } = setup({ reconnect: { initialDelay: 10, random: () => 0 } });
    client.connect();
    const first = await controller.request(0);
    await open(first, "retry: 300\nid: 1\ndata: x\n\n");
    first.fail("connection reset");
    await settle();
    expect(errors[0]!.message).toMatch(/broke: connection reset/);
    await vi.advanceTimersByTimeAsync(300);
    const second = await controller.request(1);
    second.fail("refused"); // the request itself fails: consecutive failure
    await settle();
    expect(delays).toEqual([300, 300]); // jitter 0 would be 0, the retry hint is the floor
    await vi.advanceTimersByTimeAsync(300);
    const third = await controller.request(2);
    expect(third.headers["last-event-id"]).toBe("1");
  });

  it("backs off exponentially without a retry hint and resets after an open", async () => {
    const { client, controller, delays } = setup({ reconnect: { initialDelay: 100, maxDelay: 350, random: () => 0.5 } });
    client.connect();
    for (let i = 0; i < 4; i++) {
      (await controller.request(i)).respond(503, "busy");
      await settle();
      await vi.advanceTimersByTimeAsync(delays[i]!);
    }
    expect(delays).toEqual([50, 100, 175, 175]);
    const ok = await controller.request(4);
    await open(ok, "data: x\n\n");
    ok.end();
    await settle();
    expect(delays[4]).toBe(50);
  });

  it("a Retry-After on a 503 is a floor of the next wait; without a retry: the wait grows from 3 s", async () => {
    const { client, controller, delays } = setup({ reconnect: { random: () => 0.5 } });
    client.connect();
    (await controller.request(0)).respond(503, "warming up", { "Retry-After": "7" });
    await settle();
    await settle();
    expect(delays).toEqual([7000]); // above the backoff's 1500 (half of 3 s)
    await vi.advanceTimersByTimeAsync(7000);
    (await controller.request(1)).respond(503, "still");
    await settle();
    expect(delays).toEqual([7000, 3000]); // attempt 2: half of 6 s, no Retry-After this time
  });

  it("stops for good on HTTP 204", async () => {
    const { client, controller, closes } = setup();
    client.connect();
    (await controller.request(0)).respond(204);
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(controller.requests).toHaveLength(1);
    expect(client.state).toBe("closed");
    expect(closes).toEqual(["the server answered 204 No Content: do not reconnect"]);
  });

  it("stops on 4xx and on a wrong content type, with the reason", async () => {
    const a = setup();
    a.client.connect();
    (await a.controller.request(0)).respond(403, "origin not allowed");
    await settle();
    expect(a.errors[0]).toBeInstanceOf(HttpError);
    expect(a.closes).toEqual(["SSE request to http://test/events answered HTTP 403: origin not allowed"]);
    const b = setup();
    b.client.connect();
    (await b.controller.request(0)).respond(200, "<html>", { "Content-Type": "text/html" });
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(b.controller.requests).toHaveLength(1);
    expect(b.closes[0]).toMatch(/expected Content-Type text\/event-stream, got "text\/html"/);
  });

  it("close() aborts the stream and no event arrives afterwards", async () => {
    const { client, controller, events, closes } = setup();
    client.connect();
    const r = await controller.request(0);
    await open(r, "data: 1\n\n");
    client.close();
    expect(r.signal?.aborted).toBe(true);
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events.map((e) => e.data)).toEqual(["1"]);
    expect(controller.requests).toHaveLength(1);
    expect(closes).toEqual(["closed by the client"]);
  });

  it("starts from a given lastEventId", async () => {
    const { client, controller } = setup({ lastEventId: "17" });
    client.connect();
    expect((await controller.request(0)).headers["last-event-id"]).toBe("17");
  });

  it("gives up after maxAttempts", async () => {
    const { client, controller, closes } = setup({ reconnect: { initialDelay: 1, maxAttempts: 1 } });
    client.connect();
    (await controller.request(0)).respond(500);
    await settle();
    await vi.advanceTimersByTimeAsync(1);
    (await controller.request(1)).respond(500);
    await settle();
    expect(closes[0]).toMatch(/gave up after 1 reconnection attempts/);
    expect(client.state).toBe("closed");
  });

  it("a line past maxLineLength ends the client with SseLimitError, without reconnecting", async () => {
    const { client, controller, events, errors, closes } = setup({ maxLineLength: 64 });
    client.connect();
    const r = await controller.request(0);
    await open(r, "data: fine\n\ndata: " + "x".repeat(40));
    r.write("x".repeat(40));
    await settle();
    expect(events.map((e) => e.data)).toEqual(["fine"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SseLimitError);
    expect(errors[0]?.message).toContain("maxLineLength=64");
    expect(client.state).toBe("closed");
    expect(closes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(controller.requests).toHaveLength(1);
  });

  it("checks its limits when built", () => {
    expect(() => new SseClient("http://test/events", { fetch: createMockFetch().fetch, maxEventLength: -1 })).toThrow(
      /maxEventLength must be a positive integer, got -1/,
    );
  });
});
