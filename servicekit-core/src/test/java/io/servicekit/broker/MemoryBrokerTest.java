package io.servicekit.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class MemoryBrokerTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void topicsAndPatternsReceiveWhatMatchesUntilClosed() {
    MemoryBroker broker = new MemoryBroker();
    List<String> exact = new CopyOnWriteArrayList<>();
    List<String> pattern = new CopyOnWriteArrayList<>();
    Broker.Subscription s1 =
        broker.subscribe("chat.room.a", (t, p) -> exact.add(t + "=" + new String(p)));
    broker.subscribePattern("chat.*", (t, p) -> pattern.add(t + "=" + new String(p)));
    broker.publish("chat.room.a", b("1"));
    broker.publish("chat.all", b("2"));
    broker.publish("other", b("3"));
    assertThat(exact).containsExactly("chat.room.a=1");
    assertThat(pattern).containsExactly("chat.room.a=1", "chat.all=2");
    s1.close();
    s1.close(); // idempotent
    broker.publish("chat.room.a", b("4"));
    assertThat(exact).containsExactly("chat.room.a=1");
    assertThat(pattern).hasSize(3);
  }

  @Test
  void aFailingListenerDoesNotStopTheOthers() {
    MemoryBroker broker = new MemoryBroker();
    List<String> got = new CopyOnWriteArrayList<>();
    broker.subscribe(
        "t",
        (t, p) -> {
          throw new IllegalStateException("boom");
        });
    broker.subscribe("t", (t, p) -> got.add(new String(p)));
    broker.publish("t", b("x"));
    assertThat(got).containsExactly("x");
  }

  @Test
  void badInputIsRefusedWithTheRuleAndValue() {
    MemoryBroker broker = new MemoryBroker(4);
    assertThatThrownBy(() -> broker.publish("t", b("12345")))
        .isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("5 bytes")
        .hasMessageContaining("maxPayloadBytes")
        .hasMessageContaining("4");
    assertThatThrownBy(() -> broker.publish("", b("1")))
        .hasMessageContaining("topic must be a non-empty string");
    assertThatThrownBy(() -> broker.subscribePattern("a?b", (t, p) -> {}))
        .hasMessageContaining("only * as a wildcard")
        .hasMessageContaining("a?b");
    assertThatThrownBy(() -> new MemoryBroker(0)).hasMessageContaining("maxPayloadBytes");
    broker.close();
    assertThatThrownBy(() -> broker.publish("t", b("1"))).hasMessageContaining("closed");
  }

  @Test
  void globsQuoteEverythingButTheStar() {
    assertThat(MemoryBroker.globToRegex("a.*").matcher("a.b.c").matches()).isTrue();
    assertThat(MemoryBroker.globToRegex("a.*").matcher("abc").matches()).isFalse();
    assertThat(MemoryBroker.globToRegex("*x").matcher("yyx").matches()).isTrue();
    assertThat(MemoryBroker.globToRegex("a(b)").matcher("a(b)").matches()).isTrue();
  }
}
