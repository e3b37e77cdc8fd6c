package io.servicekit.client;

import static io.servicekit.client.Recorder.poll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.CloseStatus;
import io.servicekit.JsonCodec;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.FakeScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client contract of docs/clients.md as data: {@code test-vectors/clients/*.json} at the
 * repository root, read here and by the JavaScript client's {@code test/contract-vectors.test.ts}.
 */
class ClientContractVectorsTest {
  private static final Path VECTORS = Path.of("../test-vectors/clients");
  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  private static JsonNode vectors(String name) throws Exception {
    return MAPPER.readTree(Files.readString(VECTORS.resolve(name)));
  }

  private static Set<Integer> ints(JsonNode array) {
    Set<Integer> out = new TreeSet<>();
    array.forEach(n -> out.add(n.asInt()));
    return out;
  }

  @Test
  void theDefaultRetryableCloseCodesAreTheVectors() throws Exception {
    JsonNode v = vectors("close-codes.json");
    assertThat(new TreeSet<>(ReconnectPolicy.DEFAULT_RETRYABLE_CLOSE_CODES))
        .isEqualTo(ints(v.get("defaultRetryable")));
    ReconnectPolicy policy = ReconnectPolicy.exponential();
    assertThat(v.get("default").size()).isGreaterThan(15);
    for (JsonNode c : v.get("default")) {
      int code = c.get("code").asInt();
      assertThat(policy.isRetryableClose(code))
          .as("close %d (%s)", code, c.get("why").asString())
          .isEqualTo(c.get("retry").asBoolean());
    }
  }

  @Test
  void optingInPerCode() throws Exception {
    JsonNode v = vectors("close-codes.json").get("optIn");
    ReconnectPolicy policy =
        ReconnectPolicy.builder().retryableCloseCodes(ints(v.get("retryableCloseCodes"))).build();
    for (JsonNode c : v.get("cases")) {
      int code = c.get("code").asInt();
      assertThat(policy.isRetryableClose(code))
          .as("close %d", code)
          .isEqualTo(c.get("retry").asBoolean());
    }
  }

  @Test
  void backoffDelays() throws Exception {
    JsonNode cases = vectors("backoff.json").get("cases");
    assertThat(cases.size()).isGreaterThan(15);
    for (JsonNode c : cases) {
      int attempt = c.get("attempt").asInt();
      double random = c.get("random").asDouble();
      long base = c.get("base").asLong();
      long cap = c.get("cap").asLong();
      double factor = c.get("factor").asDouble();
      long floor = c.has("floor") ? c.get("floor").asLong() : 0;
      long expected = c.get("delay").asLong();
      assertThat(ReconnectPolicy.delayMillis(attempt, random, base, cap, factor, floor))
          .as("%s", c)
          .isEqualTo(expected);
      if (base > 0) { // a policy cannot have a zero initial delay; the JS options can
        ReconnectPolicy policy =
            ReconnectPolicy.builder()
                .initialDelay(Duration.ofMillis(base))
                .maxDelay(Duration.ofMillis(cap))
                .multiplier(factor)
                .build();
        assertThat(policy.delay(attempt, random, Duration.ofMillis(base), Duration.ofMillis(floor)))
            .as("policy %s", c)
            .isEqualTo(Duration.ofMillis(expected));
        if (floor == 0) {
          assertThat(policy.delay(attempt, random)).isEqualTo(Duration.ofMillis(expected));
        }
      }
    }
    assertThatThrownBy(() -> ReconnectPolicy.delayMillis(0, 0.5, 500, 30_000, 2, 0))
        .hasMessageContaining("attempt must be at least 1 (1-based): 0");
  }

  /**
   * Sends while connecting (to a TCP listener that never answers the upgrade) are held up to the
   * bound, the rest refused; close() drops the held ones and every dropped future says how many.
   */
  @Test
  void theSendQueueWhileNotOpen() throws Exception {
    JsonNode v = vectors("queue.json");
    int defaultBound = v.get("defaultBound").asInt();
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50)) {
      java.net.URI uri = java.net.URI.create("ws://localhost:" + silent.getLocalPort() + "/q");
      for (JsonNode c : v.get("cases")) {
        WsClient.Builder<Object, Object> b =
            WsClient.builder(uri, JsonCodec.INSTANCE).scheduler(new FakeScheduler());
        boolean defaults = c.get("bound").isNull();
        if (!defaults) {
          b.maxQueuedMessages(c.get("bound").asInt());
        }
        int bound = defaults ? defaultBound : c.get("bound").asInt();
        try (WsClient<Object, Object> client = b.build()) {
          client.connect();
          List<java.util.concurrent.CompletableFuture<Void>> held = new ArrayList<>();
          int refused = 0;
          for (int i = 0; i < c.get("sends").asInt(); i++) {
            try {
              held.add(client.send(i));
            } catch (SendQueueFullException e) {
              assertThat(e).hasMessageContaining("maxQueuedMessages=" + bound);
              refused++;
            }
          }
          assertThat(client.state()).as("%s", c).isNotEqualTo(WsClient.State.OPEN);
          assertThat(client.queuedMessages()).as("%s", c).isEqualTo(c.get("accepted").asInt());
          assertThat(refused).as("%s", c).isEqualTo(c.get("refused").asInt());
          client.close();
          int dropped = c.get("closeDropped").asInt();
          assertThat(held).hasSize(dropped);
          for (var f : held) {
            assertThatThrownBy(() -> f.get(20, TimeUnit.SECONDS))
                .as("%s", c)
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("(" + dropped + " queued messages dropped)");
          }
        }
      }
    }
  }

  /**
   * The same vectors end to end: a real server closes an open connection with each code it can
   * send, and the client reconnects (announces attempt 1) or ends, as the vectors say.
   */
  @Test
  void aWsClientDoesWhatTheVectorsSayWhenARealServerCloses() throws Exception {
    FakeScheduler serverTime = new FakeScheduler();
    WsConfig config = WsConfig.builder().scheduler(serverTime).build();
    List<AutoCloseable> closeables = new ArrayList<>();
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/close",
                r ->
                    WsListener.of(
                        JsonCodec.INSTANCE,
                        "Closer",
                        (session, m) -> {
                          session.close(((Number) m).intValue(), "vector");
                        }),
                config)
            .build()
            .start()) {
      int checked = 0;
      for (JsonNode c : vectors("close-codes.json").get("default")) {
        int code = c.get("code").asInt();
        if (!CloseStatus.isSendable(code) || code == 1010) {
          // 1005, 1006, 1015 and reserved codes never travel in a close frame; 1010 is a
          // client's code (RFC 6455 §7.4.1), which the JDK client reports as 1006 from a server
          continue;
        }
        FakeScheduler clientTime = new FakeScheduler();
        Recorder<Object> rec = new Recorder<>();
        WsClient<Object, Object> client =
            WsClient.builder(server.wsUri("/close"), JsonCodec.INSTANCE)
                .listener(rec)
                .scheduler(clientTime)
                .random(() -> 0.5)
                .build();
        closeables.add(client);
        client.connect().get(20, TimeUnit.SECONDS);
        client.send(code);
        assertThat(poll(rec.closes).code()).as("close %d", code).isEqualTo(code);
        if (c.get("retry").asBoolean()) {
          assertThat(poll(rec.reconnects).attempt()).as("close %d retried", code).isEqualTo(1);
          assertThat(client.state()).isEqualTo(WsClient.State.WAITING);
          client.close();
        } else {
          assertThat(client.closed().get(20, TimeUnit.SECONDS).code())
              .as("close %d ends the client", code)
              .isEqualTo(code);
          assertThat(rec.reconnects).isEmpty();
        }
        checked++;
      }
      assertThat(checked).isGreaterThan(12);
    } finally {
      for (AutoCloseable c : closeables) {
        c.close();
      }
    }
  }
}
