package io.servicekit.jetty;

import static io.servicekit.testkit.RawFrame.RSV1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.testkit.RawFrame;
import io.servicekit.testkit.RawWsClient;
import io.servicekit.testkit.RawWsClient.Response;
import io.servicekit.testkit.RawWsClient.Upgrade;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * permessage-deflate (RFC 7692) with real clients: Jetty's WebSocket client with its deflate
 * extension, and a raw client for offers Jetty's client would not make and for a decompression
 * bomb.
 */
public class PerMessageDeflateTest {
  private static final long TIMEOUT_S = 20;
  private static final int LIMIT = 1 << 20;
  private static final byte[] TAIL = {0, 0, (byte) 0xff, (byte) 0xff};

  private static ServiceKitServer server;
  private static WsServe capped;
  private static WebSocketClient jetty;

  /** Echoes every frame as it came. */
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
    public void onMessage(WsSession<Message> session, Message message) {
      session.send(message);
    }
  }

  /** Close statuses of {@code /observed} connections, as the server ended them. */
  private static final BlockingQueue<CloseStatus> serverCloses = new LinkedBlockingQueue<>();

  /** An echo that reports how the server ended it. */
  static final class ObservedEcho implements WsListener<Message, Message> {
    @Override
    public Codec<Message, Message> codec() {
      return Codec.raw();
    }

    @Override
    public String name() {
      return "ObservedEcho";
    }

    ObservedEcho() {}

    @Override
    public void onOpen(WsSession<Message> session) {
      session.closeFuture().thenAccept(serverCloses::add);
    }

    @Override
    public void onMessage(WsSession<Message> session, Message message) {
      session.send(message);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    WsConfig on = WsConfig.builder().compression(true).maxMessageSize(LIMIT).build();
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws("/deflate", r -> new Echo(), on)
            .ws("/observed", r -> new ObservedEcho(), on)
            .ws(
                "/fresh",
                r -> new Echo(),
                on.toBuilder().serverNoContextTakeover(true).clientNoContextTakeover(true).build())
            .ws("/plain", r -> new Echo(), on.toBuilder().compression(false).build())
            .route(
                "/capped",
                capped =
                    WsServe.handler(
                        r -> new Echo(), on.toBuilder().maxCompressedConnections(1).build()))
            .build()
            .start();
    jetty = new WebSocketClient();
    jetty.setMaxTextMessageSize(4 * LIMIT);
    jetty.setMaxBinaryMessageSize(4 * LIMIT);
    jetty.start();
  }

  @AfterAll
  static void stop() throws Exception {
    jetty.stop();
    server.close();
  }

  /** A Jetty client session that queues what it receives. */
  public static final class Received implements Session.Listener.AutoDemanding {
    final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    @Override
    public void onWebSocketText(String message) {
      messages.add(message);
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
      byte[] b = new byte[payload.remaining()];
      payload.get(b);
      messages.add(b);
      callback.succeed();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
      closed.complete(statusCode);
      callback.succeed();
    }

    Object next() throws InterruptedException {
      Object m = messages.poll(TIMEOUT_S, TimeUnit.SECONDS);
      assertThat(m)
          .as("a message within %d s (closed: %s)", TIMEOUT_S, closed.getNow(null))
          .isNotNull();
      return m;
    }
  }

  private static Session connect(String path, String offer, Received listener) throws Exception {
    ClientUpgradeRequest request = new ClientUpgradeRequest(server.wsUri(path));
    if (offer != null) {
      request.addExtensions(offer);
    }
    return jetty.connect(listener, request).get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  private static String negotiated(Session session) {
    String h = session.getUpgradeResponse().getHeader("Sec-WebSocket-Extensions");
    return h == null ? "" : h;
  }

  /** Text that compresses well (like JSON chat traffic) of about {@code size} characters. */
  private static String chatty(int size) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; b.length() < size; i++) {
      b.append("{\"type\":\"chat\",\"room\":\"lobby\",\"seq\":").append(i).append("},");
    }
    return b.substring(0, size);
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void echoes(Session session, Received in) throws Exception {
    for (int size : new int[] {1, 200, 70_000, LIMIT}) {
      String text = chatty(size);
      session.sendText(text, Callback.NOOP);
      assertThat(in.next()).as("text of %d", size).isEqualTo(text);
      byte[] bytes = random(size, size);
      session.sendBinary(ByteBuffer.wrap(bytes), Callback.NOOP);
      assertThat((byte[]) in.next()).as("binary of %d", size).isEqualTo(bytes);
    }
    // The same message again: with context takeover the second copy refers back to the first.
    String again = chatty(5_000);
    for (int i = 0; i < 3; i++) {
      session.sendText(again, Callback.NOOP);
      assertThat(in.next()).isEqualTo(again);
    }
  }

  // ------------------------------------------------------------------ negotiation and echo

  @Test
  void withContextTakeoverTextAndBinaryOfEverySizeEchoThroughDeflate() throws Exception {
    Received in = new Received();
    try (Session session = connect("/deflate", "permessage-deflate", in)) {
      assertThat(negotiated(session)).isEqualTo("permessage-deflate");
      echoes(session, in);
    }
  }

  @Test
  void withoutContextTakeoverBothWaysTheOfferIsEchoedAndMessagesStillEcho() throws Exception {
    Received in = new Received();
    try (Session session =
        connect(
            "/deflate",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            in)) {
      assertThat(negotiated(session).split(";"))
          .containsExactlyInAnyOrder(
              "permessage-deflate", "server_no_context_takeover", "client_no_context_takeover");
      echoes(session, in);
    }
  }

  /**
   * Checked with the raw client: Jetty 12.1.14's own client builds its deflate extension from what
   * it offered, not from the server's answer, and applies {@code client_no_context_takeover} to its
   * inflater instead of its deflater, so it cannot talk to a route that adds the parameter.
   */
  @Test
  void aRouteThatDisablesContextTakeoverSaysSoAndEveryEchoInflatesOnItsOwn() {
    try (RawWsClient client =
        openDeflating(
            "/fresh",
            "permessage-deflate",
            "server_no_context_takeover",
            "client_no_context_takeover")) {
      String text = chatty(5_000);
      int[] sizes = new int[3];
      for (int i = 0; i < sizes.length; i++) {
        client.send(RawFrame.text(deflateRaw(text.getBytes(StandardCharsets.UTF_8))).rsv(RSV1));
        RawFrame echo = client.readFrame();
        assertThat(echo.rsv()).isEqualTo(RSV1);
        Inflater fresh = new Inflater(true);
        assertThat(inflate(fresh, echo.payload()))
            .as("echo %d on a fresh inflater", i)
            .isEqualTo(text);
        fresh.end();
        sizes[i] = echo.payload().length;
      }
      assertThat(sizes[1]).isEqualTo(sizes[0]);
      assertThat(sizes[2]).isEqualTo(sizes[0]);
    }
  }

  @Test
  void withContextTakeoverARepeatedMessageIsSentAsAReferenceToTheFirst() {
    try (RawWsClient client = openDeflating("/deflate")) {
      String text = chatty(5_000);
      Inflater kept = new Inflater(true);
      int[] sizes = new int[2];
      for (int i = 0; i < sizes.length; i++) {
        client.send(RawFrame.text(deflateRaw(text.getBytes(StandardCharsets.UTF_8))).rsv(RSV1));
        RawFrame echo = client.readFrame();
        assertThat(echo.rsv()).isEqualTo(RSV1);
        assertThat(inflate(kept, echo.payload())).isEqualTo(text);
        sizes[i] = echo.payload().length;
      }
      kept.end();
      assertThat(sizes[1]).as("second echo (first: %d bytes)", sizes[0]).isLessThan(sizes[0] / 4);
    }
  }

  @Test
  void aRouteWithCompressionOffAnswersNoExtensionAndEchoesPlain() throws Exception {
    Received in = new Received();
    try (Session session = connect("/plain", "permessage-deflate", in)) {
      assertThat(negotiated(session)).isEmpty();
      session.sendText("plain", Callback.NOOP);
      assertThat(in.next()).isEqualTo("plain");
    }
  }

  @Test
  void aClientThatOffersNothingGetsNothing() throws Exception {
    Received in = new Received();
    try (Session session = connect("/deflate", null, in)) {
      assertThat(negotiated(session)).isEmpty();
      session.sendText("plain", Callback.NOOP);
      assertThat(in.next()).isEqualTo("plain");
    }
  }

  // ------------------------------------------------------------------ offers the server declines

  private static Response upgradeWith(String extensions) {
    URI uri = server.wsUri("/deflate");
    try (RawWsClient client = RawWsClient.connect(uri)) {
      Upgrade request = Upgrade.to(uri).header("Sec-WebSocket-Extensions", extensions);
      Response r = client.upgrade(request);
      r.assertSwitched(request.key());
      // Whatever was answered, the connection speaks WebSocket; an uncompressed message is
      // allowed either way, the echo is compressed only if deflate was accepted.
      boolean accepted = r.header("Sec-WebSocket-Extensions").isPresent();
      client.sendText("ok?");
      RawFrame echo = client.readFrame();
      assertThat(echo.opcode()).isEqualTo(RawFrame.TEXT);
      assertThat(echo.rsv()).isEqualTo(accepted ? RSV1 : 0);
      String text =
          accepted
              ? inflate(new Inflater(true), echo.payload())
              : new String(echo.payload(), StandardCharsets.UTF_8);
      assertThat(text).isEqualTo("ok?");
      return r;
    }
  }

  @ParameterizedTest(name = "\"{0}\" is declined")
  @ValueSource(
      strings = {
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=10",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=abc",
        "permessage-deflate; server_no_context_takeover=yes",
        "permessage-deflate; x_unknown=1",
        "x-webkit-deflate-frame",
      })
  void anOfferTheServerCannotHonourIsDeclinedAndTheConnectionGoesOnUncompressed(String offer) {
    assertThat(upgradeWith(offer).header("Sec-WebSocket-Extensions")).isEmpty();
  }

  @ParameterizedTest(name = "\"{0}\" is accepted")
  @ValueSource(
      strings = {
        "permessage-deflate; server_max_window_bits=15",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; client_max_window_bits=9",
        "permessage-deflate; client_max_window_bits=\"10\"",
        "permessage-deflate; server_max_window_bits=\"15\"; client_no_context_takeover",
      })
  void windowBitsTheServerCanHonourAreAcceptedWithoutAnAnswerParameter(String offer) {
    assertThat(upgradeWith(offer).header("Sec-WebSocket-Extensions"))
        .hasValueSatisfying(
            v -> assertThat(v).startsWith("permessage-deflate").doesNotContain("window_bits"));
  }

  @Test
  void theFirstAcceptableOfOneOfferPerFallbackIsChosen() {
    Response r =
        upgradeWith(
            "permessage-deflate; server_max_window_bits=10,"
                + " permessage-deflate; client_no_context_takeover");
    assertThat(r.header("Sec-WebSocket-Extensions"))
        .contains("permessage-deflate;client_no_context_takeover");
  }

  // ------------------------------------------------------------------ memory bound

  @Test
  void beyondMaxCompressedConnectionsTheOfferIsDeclinedUntilACompressedOneEnds() throws Exception {
    Received first = new Received();
    Session one = connect("/capped", "permessage-deflate", first);
    assertThat(negotiated(one)).isEqualTo("permessage-deflate");
    Received second = new Received();
    try (Session two = connect("/capped", "permessage-deflate", second)) {
      assertThat(negotiated(two)).as("over the limit: uncompressed").isEmpty();
      two.sendText(chatty(10_000), Callback.NOOP);
      assertThat(second.next()).isEqualTo(chatty(10_000));
    }
    one.close();
    assertThat(first.closed.get(TIMEOUT_S, TimeUnit.SECONDS)).isEqualTo(1000);
    await().atMost(Duration.ofSeconds(TIMEOUT_S)).until(() -> capped.compressedConnections() == 0);
    Received third = new Received();
    try (Session three = connect("/capped", "permessage-deflate", third)) {
      assertThat(negotiated(three)).isEqualTo("permessage-deflate");
      three.sendText("again", Callback.NOOP);
      assertThat(third.next()).isEqualTo("again");
    }
  }

  @Test
  void maxCompressedConnectionsMustBePositive() {
    assertThatThrownBy(() -> WsConfig.builder().maxCompressedConnections(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxCompressedConnections must be positive, was 0");
  }

  // ------------------------------------------------------------------ inflated size limit

  /** One message's payload as RFC 7692 §7.2.1 sends it: raw deflate, sync flush, tail removed. */
  private static byte[] deflateRaw(byte[] data) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    try {
      d.setInput(data);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
        out.write(buf, 0, n);
      }
      byte[] all = out.toByteArray();
      return java.util.Arrays.copyOf(all, all.length - 4); // 00 00 ff ff
    } finally {
      d.end();
    }
  }

  /** The inverse of {@link #deflateRaw} on {@code inflater}: appends the removed tail, inflates. */
  private static String inflate(Inflater inflater, byte[] payload) {
    inflater.setInput(ByteBuffer.allocate(payload.length + 4).put(payload).put(TAIL).flip());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    try {
      int n;
      while ((n = inflater.inflate(buf)) > 0) {
        out.write(buf, 0, n);
      }
    } catch (DataFormatException e) {
      throw new AssertionError("not a deflate payload", e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Upgrades offering plain permessage-deflate; the answer must be {@code answer}. */
  private static RawWsClient openDeflating(String path, String... answer) {
    URI uri = server.wsUri(path);
    RawWsClient client = RawWsClient.connect(uri);
    Upgrade request = Upgrade.to(uri).header("Sec-WebSocket-Extensions", "permessage-deflate");
    Response r = client.upgrade(request);
    r.assertSwitched(request.key());
    assertThat(r.header("Sec-WebSocket-Extensions").orElse("").split(";"))
        .containsExactlyInAnyOrder(
            answer.length == 0 ? new String[] {"permessage-deflate"} : answer);
    return client;
  }

  @Test
  void aSmallCompressedFrameThatInflatesPastTheLimitClosesWith1009() {
    byte[] bomb = deflateRaw(new byte[10 << 20]); // 10 MiB of zeros
    assertThat(bomb.length).as("the bomb is small on the wire").isLessThan(16 * 1024);
    try (RawWsClient client = openDeflating("/deflate")) {
      client.send(RawFrame.binary(bomb).rsv(RSV1));
      assertThat(client.awaitClose().code()).isEqualTo(1009);
    }
  }

  @Test
  void aCompressedTextBombClosesWith1009Too() {
    byte[] bomb = deflateRaw("a".repeat(LIMIT + 1).getBytes(StandardCharsets.UTF_8));
    try (RawWsClient client = openDeflating("/deflate")) {
      client.send(RawFrame.text(bomb).rsv(RSV1));
      assertThat(client.awaitClose().code()).isEqualTo(1009);
    }
  }

  @Test
  void aCompressedMessageThatInflatesToExactlyTheLimitIsAccepted() throws Exception {
    byte[] payload = deflateRaw(new byte[LIMIT]);
    try (RawWsClient client = openDeflating("/deflate")) {
      client.send(RawFrame.binary(payload).rsv(RSV1));
      RawFrame echo = client.readFrame();
      assertThat(echo.opcode()).isEqualTo(RawFrame.BINARY);
      assertThat(echo.rsv()).as("the echo comes back compressed").isEqualTo(RSV1);
    }
  }

  @Test
  void jettysClientSendingTenMiBOfZerosIsClosedWith1009() throws Exception {
    Received in = new Received();
    serverCloses.clear();
    try (Session session = connect("/observed", "permessage-deflate", in)) {
      session.sendBinary(ByteBuffer.wrap(new byte[10 << 20]), Callback.NOOP);
      CloseStatus server = serverCloses.poll(TIMEOUT_S, TimeUnit.SECONDS);
      assertThat(server).as("the server ended the connection").isNotNull();
      assertThat(server.code()).isEqualTo(1009);
      // The client usually reads the 1009 too; but while it is still sending the rest of its
      // frames, the server's close of the socket can reach it as a reset, which discards the close
      // frame waiting in its receive buffer: then it can only report 1006.
      assertThat(in.closed.get(TIMEOUT_S, TimeUnit.SECONDS)).isIn(1009, 1006);
    }
  }
}
