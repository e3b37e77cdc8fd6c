package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.WsListener;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.TlsConfig;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseParser;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamableConfig;
import io.servicekit.testkit.TestCa;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java clients against a TLS server trusting a test CA: wss, and HTTP/2 for SSE and POST. */
class TlsClientTest {
  @TempDir static Path dir;
  private static TestCa ca;
  private static ServiceKitServer server;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCa.create(dir.resolve("ca"));
    TestCa.Leaf leaf = ca.issue("server");
    server =
        ServiceKitServer.builder()
            .host("127.0.0.1")
            .port(0)
            .tlsPort(0)
            .tls(TlsConfig.pem(leaf.chainPem(), leaf.keyPem()))
            .ws("/echo", r -> WsListener.of(Codec.raw(), "Echo", (session, m) -> session.send(m)))
            .sse(
                "/events",
                r ->
                    SseListener.json(
                        session -> session.sendEventWithId("hello", "1", Map.of("n", 1))))
            .route(
                "/rpc",
                io.servicekit.jetty.StreamableServe.handler(
                    r -> SingleResponse.json(200, "{\"ok\":true}"),
                    StreamableConfig.builder().build()))
            .build()
            .start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  @Test
  void wsClientEchoesOverWssWithACustomTrust() throws Exception {
    Recorder<Message> rec = new Recorder<>();
    try (WsClient<Message, Message> client =
        WsClient.builder(server.wssUri("/echo"), Codec.raw())
            .listener(rec)
            .sslContext(ca.sslContext())
            .reconnect(ReconnectPolicy.none())
            .build()) {
      client.connect().get(30, TimeUnit.SECONDS);
      client.send(Message.text("over wss"));
      assertThat(Recorder.poll(rec.messages)).isEqualTo(Message.text("over wss"));
    }
  }

  @Test
  void sseClientNegotiatesHttp2OverTls() throws Exception {
    BlockingQueue<SseParser.Event> events = new LinkedBlockingQueue<>();
    try (SseClient client =
        SseClient.builder(server.tlsUri().resolve("/events"))
            .sslContext(ca.sslContext())
            .on("hello", events::add)
            .build()) {
      client.connect();
      SseParser.Event e = events.poll(30, TimeUnit.SECONDS);
      assertThat(e).isNotNull();
      assertThat(e.data()).isEqualTo("{\"n\":1}");
      // The server's TLS connector holds one connection, and it speaks HTTP/2.
      assertThat(server.jetty().getConnectors()[1].getConnectedEndPoints())
          .singleElement()
          .satisfies(
              ep ->
                  assertThat(
                          ((SslConnection) ep.getConnection())
                              .getSslEndPoint()
                              .getConnection()
                              .getClass()
                              .getSimpleName())
                      .contains("HTTP2"));
    }
  }

  @Test
  void streamableClientPostsOverHttps() throws Exception {
    StreamableClient client = StreamableClient.builder().sslContext(ca.sslContext()).build();
    URI uri = server.tlsUri().resolve("/rpc");
    try (StreamableResponse r = client.postJson(uri, "{\"jsonrpc\":\"2.0\"}", Map.of())) {
      assertThat(r).isInstanceOf(StreamableResponse.Json.class);
      assertThat(((StreamableResponse.Json) r).value()).isEqualTo(Map.of("ok", true));
    }
  }

  @Test
  void sslContextAndHttpClientTogetherAreRefused() {
    assertThatThrownBy(
            () ->
                SseClient.builder(server.tlsUri())
                    .httpClient(HttpClient.newHttpClient())
                    .sslContext(ca.sslContext())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("sslContext applies to the HttpClient this client makes");
  }
}
