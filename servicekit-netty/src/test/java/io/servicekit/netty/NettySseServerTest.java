package io.servicekit.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.JsonCodec;
import io.servicekit.WsConfig;
import io.servicekit.netty.contract.Probe;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;
import io.servicekit.sse.StreamEnd;
import io.servicekit.testkit.TestSseClient;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What is particular to SSE routes on {@link NettyServer}: routing, the connection, threads. */
class NettySseServerTest {
  private final BlockingQueue<SseSession<Object>> opened = new LinkedBlockingQueue<>();
  private final BlockingQueue<StreamEnd> closes = new LinkedBlockingQueue<>();
  private NettyServer server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop(Duration.ofSeconds(5));
    }
  }

  private SseListener<Object> recorded() {
    return new SseListener<>() {
      @Override
      public JsonCodec codec() {
        return JsonCodec.INSTANCE;
      }

      @Override
      public void onOpen(SseSession<Object> session) {
        opened.add(session);
      }

      @Override
      public void onClose(SseSession<Object> session, StreamEnd end) {
        closes.add(end);
      }
    };
  }

  private static <T> T poll(BlockingQueue<T> q) throws InterruptedException {
    T t = q.poll(10, TimeUnit.SECONDS);
    assertThat(t).as("nothing within 10 s").isNotNull();
    return t;
  }

  private static String readUntil(InputStream in, String marker) throws Exception {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    while (!got.toString(StandardCharsets.UTF_8).contains(marker)) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      got.write(b);
    }
    return got.toString(StandardCharsets.UTF_8);
  }

  @Test
  void sseAndWebSocketRoutesShareOnePathSpace() throws Exception {
    NettyServer.Builder b = NettyServer.builder().port(0).host("localhost");
    b.ws("/echo", r -> new Probe(), WsConfig.defaults());
    assertThatThrownBy(() -> b.sse("/echo", r -> recorded()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("routed twice: /echo");
    assertThatThrownBy(() -> b.sse("events", r -> recorded()))
        .hasMessageContaining("must start with '/'")
        .hasMessageContaining("events");
    server = b.sse("/feeds/{feed}", r -> recorded(), SseConfig.defaults()).build().start();
    TestSseClient client =
        TestSseClient.builder(server.uri().resolve("/feeds/news")).reconnect(false).connect();
    try (client) {
      assertThat(client.awaitOpen().status()).isEqualTo(200);
      assertThat(poll(opened).request().pathParam("feed")).contains("news");
      assertThat(server.openSseStreams()).isEqualTo(1);
    }
    assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.DISCONNECTED);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.openSseStreams() == 0);
  }

  @Test
  void aStreamThatEndsKeepsTheConnectionForTheNextRequest() throws Exception {
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .sse(
                "/once",
                r ->
                    SseListener.json(
                        s -> {
                          s.send(Map.of("n", 1));
                          s.close();
                        }))
            .build()
            .start();
    try (Socket s = new Socket("localhost", server.port())) {
      s.setSoTimeout(10_000);
      String get = "GET /once HTTP/1.1\r\nHost: localhost\r\n\r\n";
      s.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
      assertThat(readUntil(s.getInputStream(), "\r\n0\r\n\r\n")).contains("data: {\"n\":1}\n\n");
      s.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
      String second = readUntil(s.getInputStream(), "\r\n0\r\n\r\n");
      assertThat(second).startsWith("HTTP/1.1 200 OK\r\n").contains("data: {\"n\":1}\n\n");
    }
  }

  @Test
  void aRequestSentWhileAStreamIsOpenClosesTheConnection() throws Exception {
    server =
        NettyServer.builder().port(0).host("localhost").sse("/events", r -> recorded()).build();
    server.start();
    try (Socket s = new Socket("localhost", server.port())) {
      s.setSoTimeout(10_000);
      String get = "GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n";
      s.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
      poll(opened);
      assertThat(readUntil(s.getInputStream(), "\r\n\r\n")).startsWith("HTTP/1.1 200 OK\r\n");
      s.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
      assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.DISCONNECTED);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void aBlockingAcceptHoldsNeitherTheEventLoopNorOtherStreams() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .ioThreads(1)
            .sse(
                "/slow",
                r -> {
                  try {
                    release.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return recorded();
                })
            .sse("/fast", r -> recorded())
            .build()
            .start();
    TestSseClient slow =
        TestSseClient.builder(server.uri().resolve("/slow")).reconnect(false).connect();
    TestSseClient fast =
        TestSseClient.builder(server.uri().resolve("/fast")).reconnect(false).connect();
    try (slow;
        fast) {
      assertThat(fast.awaitOpen().status()).isEqualTo(200);
      SseSession<Object> first = poll(opened);
      assertThat(first.request().path()).isEqualTo("/fast");
      assertThat(slow.state()).isEqualTo(TestSseClient.State.CONNECTING);
      release.countDown();
      assertThat(slow.awaitOpen().status()).isEqualTo(200);
      assertThat(poll(opened).request().path()).isEqualTo("/slow");
    }
  }
}
