package io.servicekit.streamable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AcceptHeaderTest {
  @Test
  void mcpClientHeaderAcceptsBoth() {
    AcceptHeader a = AcceptHeader.parse("application/json, text/event-stream");
    assertThat(a.isPresent()).isTrue();
    assertThat(a.acceptsJson()).isTrue();
    assertThat(a.acceptsEventStream()).isTrue();
    assertThat(a.acceptsJsonAndEventStream()).isTrue();
    assertThat(a.accepts("text/html")).isFalse();
  }

  @Test
  void onlyOne() {
    AcceptHeader json = AcceptHeader.parse("application/json");
    assertThat(json.acceptsJson()).isTrue();
    assertThat(json.acceptsEventStream()).isFalse();
    assertThat(json.acceptsJsonAndEventStream()).isFalse();
    AcceptHeader sse = AcceptHeader.parse("text/event-stream");
    assertThat(sse.acceptsJson()).isFalse();
    assertThat(sse.acceptsEventStream()).isTrue();
  }

  @Test
  void qZeroMeansNotAcceptable() {
    AcceptHeader a = AcceptHeader.parse("application/json, text/event-stream;q=0");
    assertThat(a.acceptsJson()).isTrue();
    assertThat(a.acceptsEventStream()).isFalse();
    assertThat(a.quality("text/event-stream")).isZero();
    // q=0 on a specific type beats a wildcard that allows it.
    AcceptHeader b = AcceptHeader.parse("*/*, application/json;q=0.0");
    assertThat(b.acceptsJson()).isFalse();
    assertThat(b.acceptsEventStream()).isTrue();
  }

  @Test
  void qValues() {
    AcceptHeader a = AcceptHeader.parse("text/event-stream;q=0.5, application/json;q=0.9");
    assertThat(a.quality("text/event-stream")).isEqualTo(0.5);
    assertThat(a.quality("application/json")).isEqualTo(0.9);
    assertThat(a.quality("text/plain")).isZero();
  }

  @Test
  void wildcards() {
    AcceptHeader all = AcceptHeader.parse("*/*");
    assertThat(all.acceptsJsonAndEventStream()).isTrue();
    assertThat(all.accepts("image/png")).isTrue();

    AcceptHeader text = AcceptHeader.parse("text/*");
    assertThat(text.acceptsEventStream()).isTrue();
    assertThat(text.acceptsJson()).isFalse();

    AcceptHeader app = AcceptHeader.parse("application/*;q=0.2, */*;q=0.1");
    assertThat(app.quality("application/json")).isEqualTo(0.2);
    assertThat(app.quality("text/event-stream")).isEqualTo(0.1);

    // The most specific range decides, not the highest quality.
    AcceptHeader specific = AcceptHeader.parse("text/*;q=1, text/event-stream;q=0.3");
    assertThat(specific.quality("text/event-stream")).isEqualTo(0.3);
    assertThat(specific.quality("text/plain")).isEqualTo(1.0);
  }

  @Test
  void caseInsensitiveAndWhitespace() {
    AcceptHeader a = AcceptHeader.parse("  Application/JSON ;  Q=0.7 ,TEXT/Event-Stream");
    assertThat(a.quality("application/json")).isEqualTo(0.7);
    assertThat(a.accepts("Text/Event-Stream")).isTrue();
  }

  @Test
  void parameters() {
    AcceptHeader a = AcceptHeader.parse("application/json;charset=utf-8");
    assertThat(a.accepts("application/json; charset=UTF-8")).isTrue();
    assertThat(a.accepts("application/json")).isFalse(); // the range requires the parameter
    assertThat(a.ranges().get(0).params()).containsEntry("charset", "utf-8");

    AcceptHeader quoted = AcceptHeader.parse("text/event-stream;v=\"1\";q=0.4;ext=x");
    assertThat(quoted.ranges().get(0).params())
        .containsExactlyEntriesOf(java.util.Map.of("v", "1"));
    assertThat(quoted.quality("text/event-stream;v=1")).isEqualTo(0.4);

    // A plain range applies to a media type with parameters.
    assertThat(AcceptHeader.parse("application/json").accepts("application/json;charset=utf-8"))
        .isTrue();
  }

  @Test
  void absentOrBlankAcceptsEverything() {
    for (String h : new String[] {null, "", "   "}) {
      AcceptHeader a = AcceptHeader.parse(h);
      assertThat(a.isPresent()).isFalse();
      assertThat(a.acceptsJsonAndEventStream()).isTrue();
      assertThat(a.ranges()).isEmpty();
    }
  }

  @Test
  void malformedElementsAreSkippedPredictably() {
    AcceptHeader a =
        AcceptHeader.parse("json, text/, /plain, */json, a/b/c, ,;q=1, text/event-stream;q=abc");
    assertThat(a.isPresent()).isTrue();
    assertThat(a.ranges()).hasSize(1);
    assertThat(a.quality("text/event-stream")).isEqualTo(1.0); // bad q counts as 1
    assertThat(a.acceptsJson()).isFalse();

    AcceptHeader outOfRange = AcceptHeader.parse("application/json;q=7, text/plain;q=-1");
    assertThat(outOfRange.quality("application/json")).isEqualTo(1.0);
    assertThat(outOfRange.quality("text/plain")).isEqualTo(1.0);

    AcceptHeader noValue = AcceptHeader.parse("application/json;charset;q=0.5");
    assertThat(noValue.quality("application/json")).isEqualTo(0.5);

    AcceptHeader onlyGarbage = AcceptHeader.parse("garbage");
    assertThat(onlyGarbage.isPresent()).isTrue();
    assertThat(onlyGarbage.acceptsJson()).isFalse();
  }

  @Test
  void badQueryIsAnError() {
    AcceptHeader a = AcceptHeader.parse("*/*");
    assertThatThrownBy(() -> a.accepts("json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("type/subtype")
        .hasMessageContaining("json");
  }
}
