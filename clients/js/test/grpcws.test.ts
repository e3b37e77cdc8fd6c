import { describe, expect, it } from "vitest";
import { GrpcWsError, TypedGrpcWsClient, createMockGrpcWsClient, createMockWSPair } from "../src/index.js";

describe("GrpcWsClient", () => {
  it("sends data, end_send and cancel envelopes", async () => {
    const { client, controller } = createMockGrpcWsClient<{ x: number }, unknown>();
    const opened = client.connect();
    controller.simulateOpen();
    await opened;
    client.send({ x: 1 });
    client.send({ x: 2 });
    client.endSend();
    client.cancel();
    expect(controller.sentRaw).toEqual([
      '{"type":"data","data":{"x":1}}',
      '{"type":"data","data":{"x":2}}',
      '{"type":"end_send"}',
      '{"type":"cancel"}',
    ]);
    expect(controller.sentMessages).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it("dispatches data, stream_end and errors with their gRPC code", () => {
    const seen: string[] = [];
    const { client, controller } = createMockGrpcWsClient<unknown, { n: number }>("ws://mock/s", {
      onData: (d) => seen.push("data " + d.n),
      onStreamEnd: () => seen.push("end"),
      onError: (e) => seen.push(`error ${e.source} ${e.code ?? "-"} ${e.message}`),
    });
    void client.connect();
    controller.simulateOpen();
    controller.simulateData({ n: 1 });
    controller.simulateData({ n: 2 });
    expect(client.streamEnded).toBe(false);
    controller.simulateStreamEnd();
    expect(client.streamEnded).toBe(true);
    controller.simulateServerError("NOT_FOUND: game not found", "NOT_FOUND");
    controller.simulateServerError("boom");
    expect(seen).toEqual(["data 1", "data 2", "end", "error server NOT_FOUND NOT_FOUND: game not found", "error server - boom"]);
    expect(client.isConnected).toBe(true); // the client never closes by itself
  });

  it("answers pings with the envelope pong and keeps them from the app", () => {
    const pings: (number | undefined)[] = [];
    const data: unknown[] = [];
    const { client, controller } = createMockGrpcWsClient("ws://mock/s", { onPing: (p) => pings.push(p.pingId), onData: (d) => data.push(d) });
    void client.connect();
    controller.simulateOpen();
    controller.simulatePing(1);
    controller.simulatePing(2);
    expect(controller.sentRaw).toEqual(['{"type":"pong","pingId":1}', '{"type":"pong","pingId":2}']);
    expect(pings).toEqual([1, 2]);
    expect(data).toEqual([]);
  });

  it("reports frames that are not envelopes as protocol errors", () => {
    const errors: GrpcWsError[] = [];
    const { client, controller } = createMockGrpcWsClient("ws://mock/s", { onError: (e) => errors.push(e) });
    void client.connect();
    controller.simulateOpen();
    controller.simulateMessage([1, 2]);
    controller.simulateMessage({ type: "weird" });
    controller.simulateRawMessage("nope");
    expect(errors.map((e) => e.source)).toEqual(["protocol", "protocol", "protocol"]);
    expect(errors[0]!.message).toMatch(/not a grpcws envelope/);
    expect(errors[1]!.message).toBe('unknown grpcws envelope type: "weird"');
    expect(errors[0]).toBeInstanceOf(GrpcWsError);
  });

  it("a frame the JSON codec cannot read is a protocol error, a socket error a transport one (regression)", () => {
    // found by grpcws.properties.test.ts: undecodable text and binary frames were "transport"
    const errors: GrpcWsError[] = [];
    const { client, controller } = createMockGrpcWsClient("ws://mock/s", { onError: (e) => errors.push(e) });
    void client.connect();
    controller.simulateOpen();
    controller.simulateRawMessage("{not json");
    controller.simulateRawMessage(new Uint8Array([0xff, 0xfe]).buffer);
    controller.simulateError();
    expect(errors.map((e) => e.source)).toEqual(["protocol", "protocol", "transport"]);
    expect(errors[0]!.message).toMatch(/^cannot decode a text frame with the json codec/);
    expect(errors[1]!.message).toMatch(/^cannot decode a binary frame with the json codec/);
    expect(client.state).toBe("open");
  });

  it("an error envelope's non-string code is dropped and a non-string error shown as JSON (regression)", () => {
    // found by grpcws.properties.test.ts: `code` passed through as a number, `error` as "[object Object]"
    const errors: GrpcWsError[] = [];
    const { client, controller } = createMockGrpcWsClient("ws://mock/s", { onError: (e) => errors.push(e) });
    void client.connect();
    controller.simulateOpen();
    controller.simulateMessage({ type: "error", error: { detail: "x" }, code: 5 });
    controller.simulateMessage({ type: "error", error: null, code: "NOT_FOUND" });
    expect(errors.map((e) => [e.source, e.message, e.code])).toEqual([
      ["server", '{"detail":"x"}', undefined],
      ["server", "unknown error", "NOT_FOUND"],
    ]);
  });

  it("does not reconnect by default; queues sends made before the open", () => {
    const closes: boolean[] = [];
    const { client, controller } = createMockGrpcWsClient("ws://mock/s", { onClose: (e) => closes.push(e.willReconnect) });
    client.connect().catch(() => {});
    client.send({ early: true });
    controller.simulateOpen();
    expect(controller.sentMessages).toEqual([{ early: true }]);
    controller.simulateClose(1006);
    expect(closes).toEqual([false]);
    expect(client.state).toBe("closed");
    expect(controller.sockets).toHaveLength(1);
  });

  it("the typed variant takes a WebSocket constructor like the plain one", () => {
    const { WebSocket, controller } = createMockWSPair();
    const got: { state: string }[] = [];
    const c = new TypedGrpcWsClient<{ move: number }, { state: string }>("ws://x/sync", { WebSocket, onData: (s) => got.push(s) });
    void c.connect();
    controller.simulateOpen();
    c.send({ move: 1 });
    controller.simulateMessage({ type: "data", data: { state: "s1" } });
    expect(got).toEqual([{ state: "s1" }]);
    expect(controller.sent).toEqual([{ type: "data", data: { move: 1 } }]);
  });
});
