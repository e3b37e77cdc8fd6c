package io.servicekit.bench.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The part the WebSocket and SSE load clients share, against a plain socket server: the blocking
 * request/response-head exchange, the read loop's end-of-stream bookkeeping and the parallel
 * connect.
 */
class NioLoadClientTest {
  /** Serves every connection with {@code serve}, each on its own virtual thread. */
  private static ServerSocket serve(Consumer<Socket> serve) throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual()
        .start(
            () -> {
              while (true) {
                Socket s;
                try {
                  s = server.accept();
                } catch (IOException e) {
                  return; // closed at the end of the test
                }
                Thread.ofVirtual()
                    .start(
                        () -> {
                          try (s) {
                            serve.accept(s);
                          } catch (IOException e) {
                            // gone
                          }
                        });
              }
            });
    return server;
  }

  /** Reads a request up to its blank line. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("request ended early: " + head);
      }
      head.write(c);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private static void reply(Socket s, String response, boolean waitForClose) {
    try {
      readHead(s.getInputStream());
      OutputStream out = s.getOutputStream();
      out.write(response.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      if (waitForClose) {
        s.getInputStream().read(); // until the client goes away
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  private static InetSocketAddress address(ServerSocket s) {
    return new InetSocketAddress(s.getInetAddress(), s.getLocalPort());
  }

  @Test
  void exchangeReturnsTheHeadAndTheBytesReadPastIt() throws Exception {
    try (ServerSocket server =
            serve(s -> reply(s, "HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nearly bytes", true));
        SocketChannel ch = SocketChannel.open(address(server))) {
      NioLoadClient.Head head =
          NioLoadClient.exchange(ch, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1024, "no head");
      assertThat(head.text()).isEqualTo("HTTP/1.1 200 OK\r\nX-A: b");
      assertThat(new String(head.early(), StandardCharsets.US_ASCII)).isEqualTo("early bytes");
    }
  }

  @Test
  void exchangeWithoutBytesPastTheHeadHasNoEarlyBytes() throws Exception {
    try (ServerSocket server = serve(s -> reply(s, "HTTP/1.1 204 No Content\r\n\r\n", true));
        SocketChannel ch = SocketChannel.open(address(server))) {
      NioLoadClient.Head head =
          NioLoadClient.exchange(ch, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1024, "no head");
      assertThat(head.text()).isEqualTo("HTTP/1.1 204 No Content");
      assertThat(head.early()).isNull();
    }
  }

  @Test
  void exchangeRefusesAHeadThatEndsEarlyOrIsTooLong() throws Exception {
    try (ServerSocket server = serve(s -> reply(s, "HTTP/1.1 200 OK\r\n", false));
        SocketChannel ch = SocketChannel.open(address(server))) {
      assertThatThrownBy(() -> NioLoadClient.exchange(ch, "GET / HTTP/1.1\r\n\r\n", 1024, "gone"))
          .isInstanceOf(IOException.class)
          .hasMessage("gone");
    }
    try (ServerSocket server = serve(s -> reply(s, "HTTP/1.1 200 " + "x".repeat(100), true));
        SocketChannel ch = SocketChannel.open(address(server))) {
      assertThatThrownBy(() -> NioLoadClient.exchange(ch, "GET / HTTP/1.1\r\n\r\n", 64, "long"))
          .isInstanceOf(IOException.class)
          .hasMessage("long");
    }
  }

  @Test
  void sseStreamEndedByItsLastChunkCountsAsClosedByPeer() throws Exception {
    String response =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "c\r\ndata: hello\n\r\n"
            + "1\r\n\n\r\n"
            + "0\r\n\r\n";
    List<String> events = new CopyOnWriteArrayList<>();
    try (ServerSocket server = serve(s -> reply(s, response, true));
        SseLoadClient client = new SseLoadClient()) {
      client.handler(
          (stream, buf, off, len, nanos) ->
              events.add(new String(buf, off, len, StandardCharsets.UTF_8)));
      List<SseLoadClient.Stream> streams = client.connect(address(server), "/sse", 1, 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> client.closedByPeer() == 1);
      assertThat(events).containsExactly("hello");
      assertThat(streams.get(0).isOpen()).isFalse();
      assertThat(client.protocolErrors()).isZero();
    }
  }

  @Test
  void sseStreamWithABadChunkIsDroppedAsAProtocolError() throws Exception {
    String response =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "zz\r\n";
    try (ServerSocket server = serve(s -> reply(s, response, true));
        SseLoadClient client = new SseLoadClient()) {
      List<SseLoadClient.Stream> streams = client.connect(address(server), "/sse", 1, 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> client.protocolErrors() == 1);
      assertThat(streams.get(0).isOpen()).isFalse();
      assertThat(client.closedByPeer()).isZero();
    }
  }

  @Test
  void connectOpensInParallelReturnsInIdOrderAndNamesTheTargetOnFailure() throws Exception {
    String ok = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
    try (ServerSocket server = serve(s -> reply(s, ok, true));
        SseLoadClient client = new SseLoadClient()) {
      List<SseLoadClient.Stream> streams = client.connect(address(server), "/sse", 8, 3);
      assertThat(streams).extracting(st -> st.id).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
      assertThat(streams).allMatch(SseLoadClient.Stream::isOpen);
      assertThat(client.connect(address(server), "/sse", 2, 2))
          .extracting(st -> st.id)
          .containsExactly(8, 9);
    }
    try (ServerSocket server = serve(s -> reply(s, "HTTP/1.1 404 Not Found\r\n\r\n", false));
        SseLoadClient client = new SseLoadClient()) {
      InetSocketAddress a = address(server);
      assertThatThrownBy(() -> client.connect(a, "/nope", 3, 2))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith(
              "opening http://" + a.getHostString() + ":" + a.getPort() + "/nope failed: ")
          .hasMessageContaining("SSE request refused: HTTP/1.1 404 Not Found");
    }
  }
}
