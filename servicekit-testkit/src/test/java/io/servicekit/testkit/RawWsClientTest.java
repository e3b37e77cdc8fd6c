package io.servicekit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against a scripted server on a local socket. */
class RawWsClientTest {
  private ServerSocket listener;
  private URI uri;

  @BeforeEach
  void listen() throws IOException {
    listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    uri = URI.create("ws://127.0.0.1:" + listener.getLocalPort() + "/chat?x=1");
  }

  @AfterEach
  void stop() throws IOException {
    listener.close();
  }

  /** Accepts one connection, reads the request head, then runs {@code script}. */
  private CompletableFuture<String> serve(Script script) {
    CompletableFuture<String> request = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (Socket s = listener.accept()) {
                String head = readHead(s.getInputStream());
                request.complete(head);
                script.run(head, s.getInputStream(), s.getOutputStream());
              } catch (Exception e) {
                request.completeExceptionally(e);
              }
            });
    return request;
  }

  private interface Script {
    void run(String head, InputStream in, OutputStream out) throws Exception;
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("request ended early");
      }
      b.write(c);
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  private static String keyOf(String head) {
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "Sec-WebSocket-Key:", 0, 18)) {
        return line.substring(18).trim();
      }
    }
    throw new AssertionError("no key in " + head);
  }

  private static void switched(String head, OutputStream out) throws IOException {
    out.write(
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: "
                + RawWsClient.acceptFor(keyOf(head))
                + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void computesTheRfcSampleAccept() {
    assertThat(RawWsClient.acceptFor("dGhlIHNhbXBsZSBub25jZQ=="))
        .isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  }

  @Test
  void sendsAValidUpgradeRequestAndReadsFramesSplitOneBytePerWrite() throws Exception {
    CompletableFuture<String> request =
        serve(
            (head, in, out) -> {
              switched(head, out);
              byte[] frames =
                  RawFrame.encodeAll(
                      RawFrame.text("Hel").fin(false).unmasked(),
                      RawFrame.ping(new byte[] {7}).unmasked(),
                      RawFrame.continuation("lo".getBytes(StandardCharsets.UTF_8)).unmasked(),
                      RawFrame.binary(new byte[300]).unmasked(),
                      RawFrame.close(1002, "bad").unmasked());
              for (byte b : frames) {
                out.write(b);
                out.flush();
              }
            });
    try (RawWsClient client = RawWsClient.open(uri)) {
      String head = request.get(10, TimeUnit.SECONDS);
      assertThat(head)
          .startsWith("GET /chat?x=1 HTTP/1.1\r\n")
          .contains("Host: 127.0.0.1:" + listener.getLocalPort() + "\r\n")
          .contains("Upgrade: websocket\r\n")
          .contains("Connection: Upgrade\r\n")
          .contains("Sec-WebSocket-Version: 13\r\n");
      RawWsClient.Message m = client.awaitMessage();
      assertThat(m.opcode()).isEqualTo(RawFrame.TEXT);
      assertThat(m.text()).isEqualTo("Hello");
      assertThat(client.awaitBinary()).hasSize(300);
      RawWsClient.Close close = client.awaitClose(Duration.ofSeconds(10), false);
      assertThat(close).isEqualTo(new RawWsClient.Close(1002, "bad", true));
    }
  }

  @Test
  void theBuilderSetsASmallReceiveBufferBeforeConnectingAndOpens() throws Exception {
    CompletableFuture<String> request = serve((head, in, out) -> switched(head, out));
    int systemDefault;
    try (Socket plain = new Socket()) {
      systemDefault = plain.getReceiveBufferSize();
    }
    try (RawWsClient client =
        RawWsClient.builder(uri).receiveBufferSize(4096).open(RawWsClient.Upgrade.to(uri))) {
      assertThat(request.get(10, TimeUnit.SECONDS)).startsWith("GET /chat?x=1 HTTP/1.1\r\n");
      assertThat(client.uri()).isEqualTo(uri);
      assertThat(client.socket().getReceiveBufferSize())
          .as("SO_RCVBUF (the kernel may round 4096 up)")
          .isLessThan(systemDefault);
    }
  }

  @Test
  void theBuilderRefusesBadSettingsAtOnce() {
    assertThatThrownBy(() -> RawWsClient.builder(uri).receiveBufferSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("receiveBufferSize must be positive, was 0");
    assertThatThrownBy(() -> RawWsClient.builder(uri).receiveBufferSize(-4096))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("receiveBufferSize must be positive, was -4096");
    assertThatThrownBy(() -> RawWsClient.builder(URI.create("wss://localhost/x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("plain TCP only");
    assertThatThrownBy(() -> RawWsClient.builder(URI.create("ws:/no-host")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("uri must name a host, was ws:/no-host");
    assertThatThrownBy(() -> RawWsClient.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("uri");
  }

  @Test
  void readsAStatusWithHeadersAndAContentLengthBody() throws Exception {
    serve(
        (head, in, out) ->
            out.write(
                ("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 12\r\nX-A: 1\r\nx-a: 2\r\n\r\n{\"error\":1}\n")
                    .getBytes(StandardCharsets.ISO_8859_1)));
    try (RawWsClient client = RawWsClient.connect(uri)) {
      RawWsClient.Upgrade upgrade =
          RawWsClient.Upgrade.to(uri).set("Sec-WebSocket-Version", "8").remove("Upgrade");
      assertThat(upgrade.toString())
          .contains("Sec-WebSocket-Version: 8")
          .doesNotContain("Upgrade:");
      RawWsClient.Response r = client.upgrade(upgrade);
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.reason()).isEqualTo("Forbidden");
      assertThat(r.headers("x-A")).containsExactly("1", "2");
      assertThat(r.bodyText()).isEqualTo("{\"error\":1}\n");
      assertThatThrownBy(() -> r.assertSwitched(upgrade.key())).isInstanceOf(AssertionError.class);
    }
  }

  @Test
  void readsAChunkedBody() throws Exception {
    serve(
        (head, in, out) ->
            out.write(
                ("HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1)));
    try (RawWsClient client = RawWsClient.connect(uri)) {
      RawWsClient.Response r = client.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.bodyText()).isEqualTo("abcde");
    }
  }

  @Test
  void reportsAnEndWithoutCloseFrameAs1006() throws Exception {
    serve((head, in, out) -> switched(head, out));
    try (RawWsClient client = RawWsClient.open(uri)) {
      assertThat(client.awaitClose().code()).isEqualTo(1006);
      assertThat(client.awaitClose().frameReceived()).isFalse();
    }
  }

  @Test
  void aReadTimeoutKeepsPartialFrameBytesForTheNextRead() throws Exception {
    CompletableFuture<Void> second = new CompletableFuture<>();
    byte[] frame = RawFrame.text("patience").unmasked().encode();
    serve(
        (head, in, out) -> {
          switched(head, out);
          out.write(frame, 0, 3);
          out.flush();
          second.get(10, TimeUnit.SECONDS);
          out.write(frame, 3, frame.length - 3);
          out.flush();
        });
    try (RawWsClient client = RawWsClient.open(uri)) {
      assertThatThrownBy(() -> client.readFrame(Duration.ofMillis(100)))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("3 bytes buffered");
      second.complete(null);
      assertThat(client.readFrame().text()).isEqualTo("patience");
    }
  }

  @Test
  void writesMaskedFramesInOneByteChunksThatTheServerCanDecode() throws Exception {
    RawFrame first = RawFrame.text("chunked").fin(false);
    RawFrame last = RawFrame.continuation(new byte[] {1, 2, 3});
    byte[] wire = RawFrame.encodeAll(first, last);
    CompletableFuture<byte[]> received = new CompletableFuture<>();
    serve(
        (head, in, out) -> {
          switched(head, out);
          out.flush();
          received.complete(in.readNBytes(wire.length));
        });
    try (RawWsClient client = RawWsClient.open(uri)) {
      client.writeInChunks(wire, 1);
      byte[] got = received.get(10, TimeUnit.SECONDS);
      assertThat(got).isEqualTo(wire);
      int firstLength = first.encode().length;
      RawFrame a = RawFrame.decode(java.util.Arrays.copyOf(got, firstLength));
      RawFrame b = RawFrame.decode(java.util.Arrays.copyOfRange(got, firstLength, got.length));
      assertThat(a.masked()).isTrue();
      assertThat(a.fin()).isFalse();
      assertThat(a.text()).isEqualTo("chunked");
      assertThat(b.opcode()).isEqualTo(RawFrame.CONTINUATION);
      assertThat(b.payload()).containsExactly(1, 2, 3);
    }
  }
}
