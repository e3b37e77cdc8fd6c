package io.servicekit.client;

import io.servicekit.TypedJsonCodec;
import io.servicekit.sse.SseParser;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The samples of docs/clients.md, compiled and run by {@link ClientExamplesTest}. */
final class ClientExamples {
  private ClientExamples() {}

  // [START ws-types]
  record ChatIn(String user, String text) {}

  record ChatOut(String text) {}

  // [END ws-types]

  /** Sends one chat line and returns the first message that comes back. */
  static ChatIn chat(URI uri) throws Exception {
    BlockingQueue<ChatIn> inbox = new LinkedBlockingQueue<>();
    // [START ws]
    WsClient<ChatIn, ChatOut> client =
        WsClient.builder(uri, TypedJsonCodec.<ChatIn, ChatOut>of(ChatIn.class))
            .header("Authorization", "Bearer demo-token")
            .reconnect(
                ReconnectPolicy.builder()
                    .initialDelay(Duration.ofMillis(500))
                    .maxDelay(Duration.ofSeconds(30))
                    .build())
            .maxQueuedMessages(1000)
            .listener(
                new WsClient.Listener<>() {
                  @Override
                  public void onMessage(ChatIn message) {
                    inbox.add(message);
                  }

                  @Override
                  public void onError(Throwable error) {
                    if (error instanceof ServerErrorException e) {
                      System.err.println("server said: " + e.error());
                    }
                  }

                  @Override
                  public void onReconnecting(int attempt, Duration delay) {
                    System.err.println("reconnect #" + attempt + " in " + delay);
                  }
                })
            .build();
    client.connect().get(10, TimeUnit.SECONDS); // first open
    client.send(new ChatOut("hello")); // thread-safe, queued while reconnecting
    // ... later
    // [END ws]
    ChatIn first = inbox.poll(20, TimeUnit.SECONDS);
    // [START ws-close]
    client.close(); // no more reconnects; queued messages are flushed, then close 1000
    client.closed().get(10, TimeUnit.SECONDS);
    // [END ws-close]
    return first;
  }

  /** Collects {@code count} tick events, resuming from {@code lastSeen}. */
  static List<String> ticks(URI uri, String lastSeen, int count) throws Exception {
    BlockingQueue<String> ticks = new LinkedBlockingQueue<>();
    // [START sse]
    SseClient sse =
        SseClient.builder(uri)
            .lastEventId(lastSeen) // optional: resume from a stored position
            .on("tick", event -> ticks.add(event.id() + ":" + event.data()))
            .listener(
                new SseClient.Listener() {
                  @Override
                  public void onEvent(SseParser.Event event) {
                    System.out.println(event.type() + " " + event.data());
                  }
                })
            .maxEventBytes(1 << 20)
            .build();
    sse.connect();
    // ... sse.lastEventId() is the position to store for the next run
    // [END sse]
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(ticks.poll(20, TimeUnit.SECONDS));
    }
    sse.close();
    return out;
  }

  /** POSTs a call and returns what came back, JSON or events, as text. */
  static List<String> call(URI uri) throws Exception {
    List<String> out = new ArrayList<>();
    // [START streamable]
    StreamableClient http = StreamableClient.builder().header("Mcp-Session-Id", "s-1").build();
    try (StreamableResponse response = http.post(uri, Map.of("method", "tools/list"))) {
      switch (response) {
        case StreamableResponse.Json json -> out.add("json " + json.value());
        case StreamableResponse.Events events ->
            events.forEachRemaining(e -> out.add(e.type() + " " + e.data()));
        case StreamableResponse.Empty empty -> out.add("status " + empty.status());
      }
    } catch (HttpStatusException e) {
      out.add("failed " + e.status() + ": " + e.body());
    }
    // [END streamable]
    return out;
  }

  // [START grpc-types]
  record Tick(long n) {}

  // [END grpc-types]

  /** Subscribes to a server-streaming call bridged over WebSocket. */
  static List<Tick> subscribe(URI uri) throws Exception {
    List<Tick> ticks = new ArrayList<>();
    BlockingQueue<String> ended = new LinkedBlockingQueue<>();
    // [START grpc]
    GrpcWsClient<Map<String, Object>, Tick> call =
        GrpcWsClient.builder(
                uri, GrpcWsClient.PayloadCodec.<Map<String, Object>, Tick>json(Tick.class))
            .listener(
                new GrpcWsClient.Listener<>() {
                  @Override
                  public void onData(Tick tick) {
                    ticks.add(tick);
                  }

                  @Override
                  public void onStreamEnd() {
                    ended.add("done");
                  }

                  @Override
                  public void onError(Throwable error) {
                    if (error instanceof ServerErrorException e) {
                      System.err.println(e.code() + ": " + e.error()); // e.g. NOT_FOUND
                    }
                  }
                })
            .build();
    call.connect().get(10, TimeUnit.SECONDS);
    call.send(Map.of("from", 1)); // {"type":"data","data":{"from":1}}
    call.endSend(); // {"type":"end_send"}; call.cancel() would cancel the upstream call
    // [END grpc]
    ended.poll(20, TimeUnit.SECONDS);
    call.close();
    return ticks;
  }
}
