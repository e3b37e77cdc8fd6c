import { describe, expect, it } from "vitest";
import { HttpError, type SseMessage, StreamableClient, createMockFetch } from "../src/index.js";

describe("StreamableClient", () => {
  it("POSTs JSON with both Accept types and returns a JSON answer", async () => {
    const { fetch, controller } = createMockFetch();
    const client = new StreamableClient({ fetch, headers: { "Mcp-Session-Id": "s1" } });
    const pending = client.post("http://test/rpc", { id: 1, method: "ping" });
    const r = await controller.request(0);
    expect(r.method).toBe("POST");
    expect(r.body).toBe('{"id":1,"method":"ping"}');
    expect(r.headers).toMatchObject({
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-session-id": "s1",
    });
    r.respondJson({ id: 1, result: "pong" });
    const result = await pending;
    expect(result.kind).toBe("json");
    if (result.kind === "json") expect(result.body).toEqual({ id: 1, result: "pong" });
  });

  it("returns an async iterator of events for an event-stream answer", async () => {
    const { fetch, controller } = createMockFetch();
    const pending = new StreamableClient({ fetch }).post("http://test/rpc", {});
    const r = await controller.request(0);
    r.respondStream();
    const result = await pending;
    expect(result.kind).toBe("events");
    if (result.kind !== "events") return;
    r.write("id: 1\nevent: progress\ndata: {\"p\":50}\n\n");
    r.write("data: line1\r\ndata: line2\r\n\r\n: keepalive\n\n");
    r.write("data: {\"done\":");
    r.write("true}\n\n");
    r.end();
    const got: SseMessage[] = [];
    for await (const ev of result.events) got.push(ev);
    expect(got).toEqual([
      { event: "progress", data: '{"p":50}', lastEventId: "1", id: "1" },
      { event: "message", data: "line1\nline2", lastEventId: "1" },
      { event: "message", data: '{"done":true}', lastEventId: "1" },
    ]);
  });

  it("leaving the loop early cancels the stream", async () => {
    const { fetch, controller } = createMockFetch();
    const pending = new StreamableClient({ fetch }).post("http://test/rpc", {});
    const r = await controller.request(0);
    r.respondStream();
    const result = await pending;
    if (result.kind !== "events") throw new Error("expected events");
    r.write("data: a\n\ndata: b\n\n");
    for await (const ev of result.events) {
      expect(ev.data).toBe("a");
      break;
    }
    expect(() => r.write("data: c\n\n")).toThrow(); // the body was cancelled
  });

  it("throws HttpError on a non-2xx answer and an error on other content types", async () => {
    const { fetch, controller } = createMockFetch();
    const client = new StreamableClient({ fetch });
    const a = client.post("http://test/rpc", {});
    (await controller.request(0)).respond(415, "Content-Type must be application/json");
    await expect(a).rejects.toBeInstanceOf(HttpError);
    await expect(a).rejects.toThrow("POST http://test/rpc answered HTTP 415: Content-Type must be application/json");
    const b = client.post("http://test/rpc", {});
    (await controller.request(1)).respond(200, "hi", { "Content-Type": "text/plain" });
    await expect(b).rejects.toThrow(/answered Content-Type "text\/plain"; expected application\/json or text\/event-stream/);
  });

  it("reports 202 Accepted without a body", async () => {
    const { fetch, controller } = createMockFetch();
    const pending = new StreamableClient({ fetch }).post("http://test/rpc", { notification: true });
    (await controller.request(0)).respond(202);
    expect((await pending).kind).toBe("accepted");
  });

  it("refuses a body that is not JSON-encodable", async () => {
    const { fetch } = createMockFetch();
    await expect(new StreamableClient({ fetch }).post("http://test/rpc", undefined)).rejects.toThrow(/cannot be JSON-encoded/);
  });
});
