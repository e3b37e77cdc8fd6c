package io.servicekit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.sse.StoredEvent;
import io.servicekit.testkit.RedisServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** RedisEventStore.builder: settings refused at once, and the defaults against a real Redis. */
class RedisEventStoreBuilderTest {
  private static final String URI = "redis://127.0.0.1:6379";

  @Test
  void eachSetterRefusesABadValueAtOnceNamingTheSettingAndTheValue() {
    RedisEventStore.Builder b = RedisEventStore.builder(URI);
    assertThatThrownBy(() -> b.maxLen(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxLen must be positive, was 0");
    assertThatThrownBy(() -> b.maxLen(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxLen must be positive, was -5");
    assertThatThrownBy(() -> b.prefix(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("prefix must not be blank, was \"\"");
    assertThatThrownBy(() -> b.prefix(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("prefix");
    assertThatThrownBy(() -> b.commandTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("commandTimeout must be positive, was PT0S");
    assertThatThrownBy(() -> b.reconnectDelay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reconnectDelay must be positive, was PT-0.001S");
    assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connectTimeout must be positive, was PT0S");
  }

  @Test
  void aMalformedUriFailsAtTheBuilderNotAtConnect() {
    assertThatThrownBy(() -> RedisEventStore.builder("localhost:6379"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must start with redis://")
        .hasMessageContaining("localhost:6379");
    assertThatThrownBy(() -> RedisEventStore.builder(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("redis://host:port");
  }

  @Test
  void theDefaultsShareStreamsUnderTheDefaultPrefixAndAnotherPrefixSeesNone() throws Exception {
    assumeTrue(
        RedisServer.binary().isPresent() || RedisServer.required(),
        "no redis-server on the PATH: Redis tests skipped");
    try (RedisServer redis = RedisServer.start();
        RedisEventStore a = RedisEventStore.builder(redis.uri()).connect();
        RedisEventStore b = RedisEventStore.builder(redis.uri()).connect();
        RedisEventStore other = RedisEventStore.builder(redis.uri()).prefix("other:").connect();
        RedisEventStore small = RedisEventStore.builder(redis.uri()).maxLen(2).connect()) {
      a.append("feed", new StoredEvent("e-1", "tick", "one")).toCompletableFuture().join();
      assertThat(b.events("feed")).containsExactly(new StoredEvent("e-1", "tick", "one"));
      assertThat(other.events("feed")).isEmpty();
      assertThat(RedisEventStore.DEFAULT_PREFIX).isEqualTo("servicekit:sse:");
      for (int i = 1; i <= 3; i++) {
        small.append("capped", new StoredEvent("c-" + i, null, "x")).toCompletableFuture().join();
      }
      assertThat(small.events("capped")).extracting(StoredEvent::id).containsExactly("c-2", "c-3");
    }
  }
}
