package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.sse.SseListener;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamableConfig;
import io.servicekit.testkit.TestCa;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS, HTTP/2 (ALPN and h2c) and WebSocket over HTTP/2 (RFC 8441) on a real server with real
 * clients: the JDK's HttpClient and WebSocket, Jetty's HTTP/2 client, and raw TLS sockets.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TlsTest {
  private static final long WAIT_S = 30;

  @TempDir static Path dir;
  private static TestCa ca;
  private static TestCa.Leaf leaf;
  private static ServiceKitServer server;
  private static final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    ca = TestCa.create(dir.resolve("ca"));
    leaf = ca.issue("server");
    server =
        serve(
            ServiceKitServer.builder()
                .h2c(true)
                .tls(TlsConfig.pem(leaf.chainPem(), leaf.keyPem())));
  }

  @AfterAll
  static void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private static ServiceKitServer serve(ServiceKitServer.Builder b) throws Exception {
    ServiceKitServer s =
        b.host("127.0.0.1")
            .port(0)
            .tlsPort(0)
            .route("/hello", new Hello())
            .ws("/ws", r -> new Echo())
            .sse(
                "/events",
                r ->
                    SseListener.json(
                        session -> session.sendEventWithId("hello", "1", Map.of("n", 1))))
            .route(
                "/rpc",
                StreamableServe.handler(
                    r ->
                        StreamResponse.of(
                            sink -> {
                              for (int i = 1; i <= 3; i++) {
                                sink.send("progress", "p" + i, "{\"seq\":" + i + "}");
                              }
                            }),
                    StreamableConfig.builder().build()))
            .build()
            .start();
    closeables.add(s);
    return s;
  }

  /** Answers with the protocol the request came over. */
  static final class Hello extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String text =
          "hello over "
              + request.getConnectionMetaData().getProtocol()
              + (request.isSecure() ? " secure" : " plain");
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      response.getHeaders().put("Content-Type", "text/plain;charset=utf-8");
      response.getHeaders().put("Content-Length", String.valueOf(bytes.length));
      response.write(true, ByteBuffer.wrap(bytes), callback);
      return true;
    }
  }

  static final class Echo implements WsListener<Message, Message> {
    @Override
    public Codec<Message, Message> codec() {
      return Codec.raw();
    }

    @Override
    public String name() {
      return "Echo";
    }

    Echo() {}

    @Override
    public void onMessage(WsSession<Message> session, Message m) {
      session.send(m);
    }
  }

  private static HttpClient h2Client(SSLContext ctx) {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_2)
        .sslContext(ctx)
        .connectTimeout(Duration.ofSeconds(WAIT_S))
        .build();
  }

  // ---- HTTPS + HTTP/2 with the JDK client

  @Test
  void httpsGetNegotiatesHttp2ThroughAlpn() throws Exception {
    try (HttpClient client = h2Client(ca.sslContext())) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(server.tlsUri().resolve("/hello")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(r.body()).isEqualTo("hello over HTTP/2.0 secure");
    }
  }

  @Test
  void fiftySseStreamsShareOneHttp2Connection() throws Exception {
    int n = 50;
    CountDownLatch received = new CountDownLatch(n);
    CountDownLatch release = new CountDownLatch(1);
    List<CompletableFuture<HttpClient.Version>> versions = new ArrayList<>();
    List<Thread> readers = new ArrayList<>();
    HttpClient client = h2Client(ca.sslContext());
    try {
      // One exchange first: requests sent while no connection exists yet each open their own.
      assertThat(
              client
                  .send(
                      HttpRequest.newBuilder(server.tlsUri().resolve("/hello")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .version())
          .isEqualTo(HttpClient.Version.HTTP_2);
      for (int i = 0; i < n; i++) {
        CompletableFuture<HttpClient.Version> version = new CompletableFuture<>();
        versions.add(version);
        readers.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        HttpResponse<InputStream> r =
                            client.send(
                                HttpRequest.newBuilder(server.tlsUri().resolve("/events"))
                                    .header("Accept", "text/event-stream")
                                    .build(),
                                HttpResponse.BodyHandlers.ofInputStream());
                        version.complete(r.version());
                        try (BufferedReader in =
                            new BufferedReader(
                                new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                          String line;
                          while ((line = in.readLine()) != null) {
                            if (line.equals("data: {\"n\":1}")) {
                              received.countDown();
                              break;
                            }
                          }
                          release.await();
                        }
                      } catch (Exception e) {
                        version.completeExceptionally(e);
                      }
                    }));
      }
      assertThat(received.await(WAIT_S, TimeUnit.SECONDS))
          .as("every stream got its first event")
          .isTrue();
      for (CompletableFuture<HttpClient.Version> v : versions) {
        assertThat(v.get(WAIT_S, TimeUnit.SECONDS)).isEqualTo(HttpClient.Version.HTTP_2);
      }
      // All 50 streams are open now, on one TCP connection to the TLS connector. (A connection the
      // client has already shut, e.g. the first request's when the JDK client replaced it, may
      // still be closing on the server: it carries no stream, so it is not counted.)
      assertThat(
              tlsConnector(server).getConnectedEndPoints().stream()
                  .filter(e -> e.isOpen() && !e.isInputShutdown())
                  .toList())
          .hasSize(1);
      release.countDown();
      for (Thread t : readers) {
        t.join(Duration.ofSeconds(WAIT_S));
      }
    } finally {
      client.shutdownNow(); // close() would wait for the endless streams
    }
  }

  @Test
  void streamablePostStreamsOverHttp2() throws Exception {
    try (HttpClient client = h2Client(ca.sslContext())) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(server.tlsUri().resolve("/rpc"))
                  .header("Accept", "application/json, text/event-stream")
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream");
      assertThat(r.body())
          .contains("data: {\"seq\":1}", "data: {\"seq\":2}", "data: {\"seq\":3}")
          .contains("id: p3");
    }
  }

  // ---- WebSocket: WSS over HTTP/1.1 and over HTTP/2 (RFC 8441)

  @Test
  void wssEchoWithTheJdkClient() throws Exception {
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    try (HttpClient client = h2Client(ca.sslContext())) {
      WebSocket ws =
          client
              .newWebSocketBuilder()
              .buildAsync(
                  server.wssUri("/ws"),
                  new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(
                        WebSocket webSocket, CharSequence data, boolean last) {
                      got.add(data.toString());
                      webSocket.request(1);
                      return null;
                    }
                  })
              .get(WAIT_S, TimeUnit.SECONDS);
      ws.sendText("over wss", true).get(WAIT_S, TimeUnit.SECONDS);
      assertThat(got.poll(WAIT_S, TimeUnit.SECONDS)).isEqualTo("over wss");
      ws.sendClose(1000, "bye").get(WAIT_S, TimeUnit.SECONDS);
    }
  }

  @Test
  void webSocketOverHttp2WithJettysClient() throws Exception {
    SslContextFactory.Client ssl = new SslContextFactory.Client();
    ssl.setSslContext(ca.sslContext());
    ClientConnector connector = new ClientConnector();
    connector.setSslContextFactory(ssl);
    assertWebSocketOverHttp2(connector, server.wssUri("/ws"), tlsConnector(server));
  }

  @Test
  void webSocketOverH2cWithJettysClient() throws Exception {
    assertWebSocketOverHttp2(new ClientConnector(), server.wsUri("/ws"), plainConnector(server));
  }

  private static void assertWebSocketOverHttp2(
      ClientConnector connector, URI uri, Connector serverSide) throws Exception {
    org.eclipse.jetty.client.HttpClient http =
        new org.eclipse.jetty.client.HttpClient(
            new HttpClientTransportOverHTTP2(new HTTP2Client(connector)));
    WebSocketClient ws = new WebSocketClient(http);
    ws.start();
    try {
      BlockingQueue<String> got = new LinkedBlockingQueue<>();
      Session session = ws.connect(new Collecting(got), uri).get(WAIT_S, TimeUnit.SECONDS);
      assertThat(session.getUpgradeRequest().getHttpVersion()).isEqualTo("HTTP/2.0");
      // The server side agrees: the one connection is an HTTP/2 session.
      assertThat(serverSide.getConnectedEndPoints())
          .singleElement()
          .satisfies(ep -> assertThat(protocolOf(ep)).contains("HTTP2"));
      session.sendText("over h2", org.eclipse.jetty.websocket.api.Callback.NOOP);
      assertThat(got.poll(WAIT_S, TimeUnit.SECONDS)).isEqualTo("over h2");
      session.close();
    } finally {
      ws.stop();
      http.stop();
    }
  }

  /** Jetty's client calls its listener reflectively: a public class. */
  public static final class Collecting implements Session.Listener.AutoDemanding {
    private final BlockingQueue<String> got;

    Collecting(BlockingQueue<String> got) {
      this.got = got;
    }

    @Override
    public void onWebSocketText(String message) {
      got.add(message);
    }
  }

  /** The class of the connection that speaks HTTP on {@code ep} (under TLS, if any). */
  private static String protocolOf(EndPoint ep) {
    if (ep.getConnection() instanceof SslConnection ssl) {
      return ssl.getSslEndPoint().getConnection().getClass().getSimpleName();
    }
    return ep.getConnection().getClass().getSimpleName();
  }

  // ---- h2c on the plain connector

  @Test
  void h2cPriorKnowledgeWithJettysClient() throws Exception {
    org.eclipse.jetty.client.HttpClient http =
        new org.eclipse.jetty.client.HttpClient(
            new HttpClientTransportOverHTTP2(new HTTP2Client()));
    http.start();
    try {
      ContentResponse r = http.GET(server.uri().resolve("/hello"));
      assertThat(r.getVersion()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(r.getContentAsString()).isEqualTo("hello over HTTP/2.0 plain");
    } finally {
      http.stop();
    }
  }

  @Test
  void jdkClientUpgradesPlainHttpToH2c() throws Exception {
    try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(server.uri().resolve("/hello")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(r.body()).isEqualTo("hello over HTTP/2.0 plain");
    }
  }

  // ---- ALPN and protocol versions on raw TLS sockets

  @Test
  void aClientOfferingOnlyHttp11GetsHttp11() throws Exception {
    try (SSLSocket s = tlsSocket(server.tlsPort(), ca.sslContext(), "http/1.1")) {
      assertThat(s.getApplicationProtocol()).isEqualTo("http/1.1");
      assertThat(s.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
      String response = get(s, "/hello", true);
      assertThat(response).startsWith("HTTP/1.1 200 ").endsWith("hello over HTTP/1.1 secure");
    }
    try (SSLSocket s = tlsSocket(server.tlsPort(), ca.sslContext(), "h2", "http/1.1")) {
      assertThat(s.getApplicationProtocol()).isEqualTo("h2");
    }
  }

  @Test
  void tls12IsAccepted() throws Exception {
    SSLContext ctx = ca.sslContext();
    try (SSLSocket s =
        (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.tlsPort())) {
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
      s.startHandshake();
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
    }
  }

  @Test
  void aTls11OnlyClientIsRefusedWithAProtocolVersionAlert() throws Exception {
    // The JDK's own client will not even offer TLS 1.1 any more, so this is a hand-made TLS 1.1
    // ClientHello (no extensions, two CBC suites of that era).
    ByteArrayOutputStream hello = new ByteArrayOutputStream();
    hello.write(new byte[] {0x03, 0x02}); // client_version TLS 1.1
    hello.write(new byte[32]); // random
    hello.write(0); // session id
    hello.write(new byte[] {0x00, 0x04, 0x00, 0x2f, 0x00, 0x35}); // cipher suites
    hello.write(new byte[] {0x01, 0x00}); // compression: null
    byte[] body = hello.toByteArray();
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    record.write(new byte[] {0x16, 0x03, 0x02, 0x00, (byte) (body.length + 4)});
    record.write(new byte[] {0x01, 0x00, 0x00, (byte) body.length});
    record.write(body);
    try (Socket s = new Socket("127.0.0.1", server.tlsPort())) {
      s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
      s.getOutputStream().write(record.toByteArray());
      byte[] alert = s.getInputStream().readNBytes(7);
      assertThat(alert).hasSize(7);
      assertThat(alert[0]).as("record type alert").isEqualTo((byte) 0x15);
      assertThat(alert[5]).as("fatal").isEqualTo((byte) 2);
      assertThat(alert[6]).as("protocol_version (70)").isEqualTo((byte) 70);
    }
  }

  // ---- HeaderDeadline on the TLS connector

  @Test
  void aSlowHeadOverTlsGets408Encrypted() throws Exception {
    ServiceKitServer s =
        serve(
            ServiceKitServer.builder()
                .tls(TlsConfig.pem(leaf.chainPem(), leaf.keyPem()))
                .headerTimeout(Duration.ofSeconds(1)));
    try (SSLSocket socket = tlsSocket(s.tlsPort(), ca.sslContext(), "http/1.1")) {
      OutputStream out = socket.getOutputStream();
      out.write("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(response)
          .startsWith("HTTP/1.1 408 ")
          .contains("request header timeout: headers not complete within 1s (headerTimeout)");
    }
  }

  @Test
  void aHandshakeThatDoesNotEndWithinTheHeaderTimeoutIsClosed() throws Exception {
    ServiceKitServer s =
        serve(
            ServiceKitServer.builder()
                .tls(TlsConfig.pem(leaf.chainPem(), leaf.keyPem()))
                .headerTimeout(Duration.ofSeconds(1)));
    // Silent after connecting, and a ClientHello that stops after its first bytes: the idle
    // timeout (120 s) would let both stay; the head deadline closes them.
    for (byte[] start : new byte[][] {{}, {0x16, 0x03, 0x01, 0x02, 0x00, 0x01}}) {
      try (java.net.Socket raw = new java.net.Socket("127.0.0.1", s.tlsPort())) {
        raw.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
        raw.getOutputStream().write(start);
        raw.getOutputStream().flush();
        long t0 = System.nanoTime();
        assertThat(raw.getInputStream().read()).as("closed by the server").isEqualTo(-1);
        assertThat(Duration.ofNanos(System.nanoTime() - t0))
            .as("closed by the deadline, not the idle timeout")
            .isLessThan(Duration.ofSeconds(60));
      }
    }
    // A client that completes its handshake is not affected.
    try (SSLSocket socket = tlsSocket(s.tlsPort(), ca.sslContext(), "http/1.1")) {
      assertThat(get(socket, "/hello", true)).startsWith("HTTP/1.1 200 ");
    }
  }

  // ---- certificate reload

  @Test
  void aReplacedCertificateIsServedToNewConnectionsWhileOpenOnesKeepWorking() throws Exception {
    TestCa.Leaf a = ca.issue("reload-a");
    TestCa.Leaf b = ca.issue("reload-b");
    Path crt = dir.resolve("live.crt.pem");
    Path key = dir.resolve("live.key.pem");
    Files.copy(a.chainPem(), crt);
    Files.copy(a.keyPem(), key);
    ServiceKitServer s =
        serve(
            ServiceKitServer.builder()
                .tls(TlsConfig.pem(crt, key).reloadInterval(Duration.ofMillis(100))));
    try (SSLSocket open = tlsSocket(s.tlsPort(), ca.sslContext(), "http/1.1")) {
      assertThat(peerName(open)).contains("CN=reload-a");
      assertThat(get(open, "/hello", false)).startsWith("HTTP/1.1 200 ");

      TestCa.writeAtomically(key, Files.readAllBytes(b.keyPem()));
      TestCa.writeAtomically(crt, Files.readAllBytes(b.chainPem()));
      await()
          .atMost(Duration.ofSeconds(WAIT_S))
          .untilAsserted(
              () -> {
                try (SSLSocket fresh = tlsSocket(s.tlsPort(), ca.sslContext(), "http/1.1")) {
                  assertThat(peerName(fresh)).contains("CN=reload-b");
                }
              });
      // The connection opened before the swap still works, with the old certificate.
      assertThat(get(open, "/hello", true)).startsWith("HTTP/1.1 200 ");
      assertThat(peerName(open)).contains("CN=reload-a");
    }
    // On demand too: back to a.
    TestCa.writeAtomically(key, Files.readAllBytes(a.keyPem()));
    TestCa.writeAtomically(crt, Files.readAllBytes(a.chainPem()));
    s.reloadTls();
    try (SSLSocket fresh = tlsSocket(s.tlsPort(), ca.sslContext(), "http/1.1")) {
      assertThat(peerName(fresh)).contains("CN=reload-a");
    }
  }

  @Test
  void aBrokenReplacementKeepsTheOldCertificateAndReloadTlsSaysWhy() throws Exception {
    TestCa.Leaf a = ca.issue("broken-a");
    Path crt = dir.resolve("broken.crt.pem");
    Path key = dir.resolve("broken.key.pem");
    Files.copy(a.chainPem(), crt);
    Files.copy(a.keyPem(), key);
    ServiceKitServer s =
        serve(
            ServiceKitServer.builder().tls(TlsConfig.pem(crt, key).reloadInterval(Duration.ZERO)));
    TestCa.writeAtomically(crt, "not a certificate".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(s::reloadTls)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(crt.toString())
        .hasMessageContaining("holds no certificate");
    try (SSLSocket fresh = tlsSocket(s.tlsPort(), ca.sslContext(), "http/1.1")) {
      assertThat(peerName(fresh)).contains("CN=broken-a");
    }
  }

  // ---- PKCS#12 and bad files

  @Test
  void pkcs12KeystoreServesHttps() throws Exception {
    ServiceKitServer s =
        serve(ServiceKitServer.builder().tls(TlsConfig.pkcs12(leaf.pkcs12(), TestCa.PASSWORD)));
    try (HttpClient client = h2Client(ca.sslContext())) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(s.tlsUri().resolve("/hello")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(r.body()).isEqualTo("hello over HTTP/2.0 secure");
    }
  }

  @Test
  void badFilesFailAtBuildNamingTheFileAndTheProblem() throws Exception {
    TestCa.Leaf other = ca.issue("other");
    Path missing = dir.resolve("missing.pem");
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello");
    Path pkcs1 =
        Files.writeString(
            dir.resolve("rsa.pem"),
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    assertBuildFails(TlsConfig.pem(missing, leaf.keyPem()), missing, "file not found");
    assertBuildFails(TlsConfig.pem(garbage, leaf.keyPem()), garbage, "holds no certificate");
    assertBuildFails(TlsConfig.pem(leaf.chainPem(), garbage), garbage, "holds no PEM private key");
    assertBuildFails(TlsConfig.pem(leaf.chainPem(), pkcs1), pkcs1, "not PKCS#8");
    assertBuildFails(
        TlsConfig.pem(leaf.chainPem(), other.keyPem()),
        other.keyPem(),
        "does not match the certificate");
    assertBuildFails(TlsConfig.pkcs12(leaf.pkcs12(), "wrong"), leaf.pkcs12(), "wrong password");
    assertBuildFails(TlsConfig.pkcs12(garbage, TestCa.PASSWORD), garbage, "not a PKCS#12 keystore");
    assertThatThrownBy(() -> ServiceKitServer.builder().plainHttp(false).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("plainHttp(false) needs tls(...)");
    assertThatThrownBy(
            () ->
                TlsConfig.pem(leaf.chainPem(), leaf.keyPem())
                    .reloadInterval(Duration.ofSeconds(-1)))
        .hasMessageContaining("reloadInterval must be positive");
  }

  @Test
  void tlsOnlyServerHasNoPlainPort() throws Exception {
    ServiceKitServer s =
        serve(
            ServiceKitServer.builder()
                .plainHttp(false)
                .tls(TlsConfig.pem(leaf.chainPem(), leaf.keyPem())));
    assertThat(s.jetty().getConnectors()).hasSize(1);
    assertThatThrownBy(s::port)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("plainHttp(false)");
    try (HttpClient client = h2Client(ca.sslContext())) {
      assertThat(
              client
                  .send(
                      HttpRequest.newBuilder(s.tlsUri().resolve("/hello")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(200);
    }
  }

  private static void assertBuildFails(TlsConfig config, Path file, String problem) {
    assertThatThrownBy(() -> ServiceKitServer.builder().port(0).tlsPort(0).tls(config).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(problem);
  }

  // ---- helpers

  private static Connector tlsConnector(ServiceKitServer s) {
    return s.jetty().getConnectors()[s.jetty().getConnectors().length - 1];
  }

  private static Connector plainConnector(ServiceKitServer s) {
    return s.jetty().getConnectors()[0];
  }

  private static SSLSocket tlsSocket(int port, SSLContext ctx, String... alpn) throws IOException {
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
    SSLParameters p = s.getSSLParameters();
    p.setApplicationProtocols(alpn);
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  private static String peerName(SSLSocket s) throws IOException {
    return ((X509Certificate) s.getSession().getPeerCertificates()[0])
        .getSubjectX500Principal()
        .getName();
  }

  /** One HTTP/1.1 exchange on {@code s}: the head and the Content-Length body. */
  private static String get(SSLSocket s, String path, boolean close) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(
        ("GET "
                + path
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (close ? "Connection: close\r\n" : "")
                + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    AtomicInteger crlf = new AtomicInteger();
    while (crlf.get() < 4) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      head.write(c);
      crlf.set((c == '\r' || c == '\n') ? crlf.get() + 1 : 0);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
