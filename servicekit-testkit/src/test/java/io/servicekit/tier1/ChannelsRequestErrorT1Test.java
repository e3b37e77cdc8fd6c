package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.WsConfig;
import io.servicekit.channel.Channels;
import io.servicekit.channel.ReplyException;
import io.servicekit.internal.driver.WsConnection;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryWs;
import io.servicekit.testkit.VirtualScheduler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tier 1: a client's {@code request} whose handler fails with an exception that has no message
 * still gets its {@code reply} (found by NullAway: the reply was built from the null message,
 * {@link ReplyException} refused it, and the client waited for an answer that never came).
 */
class ChannelsRequestErrorT1Test {
  private static final Duration HOUR = Duration.ofHours(1);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final VirtualScheduler time = new VirtualScheduler();

  private MemoryWs connect(Supplier<CompletionStage<Object>> answer) {
    Channels channels =
        Channels.builder().scheduler(time).onRequest((session, data) -> answer.get()).build();
    WsConfig config =
        WsConfig.builder()
            .scheduler(time)
            .pingPeriod(HOUR)
            .pongPeriod(HOUR)
            .writeTimeout(HOUR)
            .closeTimeout(HOUR)
            .build();
    FakeRequest request = FakeRequest.builder().path("/ws/channels").build();
    WsConnection<Object, Object> c =
        new WsConnection<>(channels.wsHandler().accept(request), config, request, null);
    MemoryWs ws = new MemoryWs(c);
    c.open(ws);
    time.runUntilIdle();
    return ws;
  }

  /** The one reply the client got to request {@code id}. */
  private JsonNode replyTo(MemoryWs ws, long id) {
    ws.peerText("{\"type\":\"request\",\"id\":" + id + ",\"data\":{\"q\":1}}");
    time.runUntilIdle();
    return ws.sentTexts().stream()
        .map(JSON::readTree)
        .filter(n -> n.path("type").asString("").equals("reply") && n.path("id").asLong() == id)
        .reduce(
            (a, b) -> {
              throw new AssertionError("two replies to request " + id + ": " + a + ", " + b);
            })
        .orElseThrow(() -> new AssertionError("no reply to request " + id + ": " + ws.sentTexts()));
  }

  @Test
  void aFailedAnswerWithAMessagelessIllegalArgumentIsAnsweredBadRequest() {
    MemoryWs ws = connect(() -> CompletableFuture.failedFuture(new IllegalArgumentException()));
    JsonNode reply = replyTo(ws, 7);
    assertThat(reply.path("code").asString()).isEqualTo(ReplyException.BAD_REQUEST);
    assertThat(reply.path("error").asString()).isEqualTo(ReplyException.BAD_REQUEST);
    assertThat(ws.ended()).as("the connection stays").isFalse();
  }

  @Test
  void aFailedAnswerWithAMessagelessReplyExceptionCarriesItsCode() {
    MemoryWs ws =
        connect(() -> CompletableFuture.failedFuture(new ReplyException("no_quota", null)));
    JsonNode reply = replyTo(ws, 8);
    assertThat(reply.path("code").asString()).isEqualTo("no_quota");
    assertThat(reply.path("error").asString()).isEqualTo("no_quota");
  }

  @Test
  void aMessagelessOtherFailureIsAnsweredInternalWithItsClassName() {
    MemoryWs ws = connect(() -> CompletableFuture.failedFuture(new IllegalStateException()));
    JsonNode reply = replyTo(ws, 9);
    assertThat(reply.path("code").asString()).isEqualTo(ReplyException.INTERNAL);
    assertThat(reply.path("error").asString()).isEqualTo("java.lang.IllegalStateException");
  }
}
