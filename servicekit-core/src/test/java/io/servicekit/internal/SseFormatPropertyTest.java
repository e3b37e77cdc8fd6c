package io.servicekit.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.props.Gens;
import io.servicekit.props.Prop;
import io.servicekit.props.SseGen;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Properties of {@link SseFormat} and {@link SseEvent}, on inputs from a fixed seed. */
class SseFormatPropertyTest {
  /**
   * Framing is injection-proof: for any event (name and id without CR/LF/NUL, retry, data with
   * CR/LF/CRLF, controls, non-BMP text) the bytes are the UTF-8 of {@code eventText}, use LF only,
   * end with exactly one blank line and have none before it, every line is {@code event: }, {@code
   * id: }, {@code retry: } or {@code data: } (each of the first three at most once), and the data
   * lines joined with LF are the data with its line breaks as LF; {@link SseEvent} frames the same
   * bytes, and {@link SseParser} reads the event back. 500 tries.
   */
  @Test
  void eventFramingIsSafeAndReadsBack() {
    Prop.forAll(
        "SseFormat.event frames one event that reads back",
        0xF0A7001L,
        500,
        SseGen::event,
        e -> {
          String text = SseFormat.eventText(e.event(), e.id(), e.retry(), e.data());
          byte[] bytes = SseFormat.event(e.event(), e.id(), e.retry(), e.data());
          assertThat(bytes).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
          assertThat(SseEvent.of(e.event(), e.id(), e.retry(), e.data()).toBytes())
              .isEqualTo(bytes);
          assertThat(text).doesNotContain("\r").endsWith("\n\n");
          String body = text.substring(0, text.length() - 1);
          assertThat(body).doesNotContain("\n\n");
          List<String> dataLines = new ArrayList<>();
          int named = 0;
          int ids = 0;
          int retries = 0;
          for (String line : body.substring(0, body.length() - 1).split("\n", -1)) {
            if (line.startsWith("data: ")) {
              dataLines.add(line.substring(6));
            } else if (line.startsWith("event: ")) {
              named++;
              assertThat(line.substring(7)).isEqualTo(e.event());
            } else if (line.startsWith("id: ")) {
              ids++;
              assertThat(line.substring(4)).isEqualTo(e.id());
            } else {
              assertThat(line).startsWith("retry: ");
              retries++;
              assertThat(line.substring(7)).isEqualTo(Long.toString(e.retry()));
            }
          }
          boolean hasName = e.event() != null && !e.event().isEmpty();
          assertThat(named).isEqualTo(hasName ? 1 : 0);
          assertThat(ids).isEqualTo(e.parsedId() == null ? 0 : 1);
          assertThat(retries).isEqualTo(e.retry() > 0 ? 1 : 0);
          assertThat(String.join("\n", dataLines)).isEqualTo(e.parsedData());
          assertThat(SseParser.parse(text))
              .containsExactly(
                  new SseParser.Event(
                      hasName ? e.event() : SseParser.Event.MESSAGE,
                      e.parsedData(),
                      e.parsedId(),
                      e.parsedId() == null ? "" : e.parsedId(),
                      e.retry() > 0 ? e.retry() : -1));
        });
  }

  /**
   * Rejection: a name or id containing CR, LF or NUL anywhere, or a negative retry, is refused with
   * an {@link IllegalArgumentException} that names the field, by {@code SseFormat} and {@code
   * SseEvent} alike; nothing else is thrown. 500 tries.
   */
  @Test
  void fieldsThatWouldInjectAreRefused() {
    Prop.forAll(
        "SseFormat refuses CR/LF/NUL in name and id",
        0xF0A7002L,
        500,
        (r, size) -> {
          StringBuilder bad = new StringBuilder(Gens.string(r, size));
          bad.insert(r.nextInt(bad.length() + 1), "\r\n\0".charAt(r.nextInt(3)));
          String good = SseGen.field(r, size);
          return r.nextBoolean()
              ? new String[] {bad.toString(), good, "event name"}
              : new String[] {good, bad.toString(), "event id"};
        },
        a -> {
          assertThatThrownBy(() -> SseFormat.event(a[0], a[1], 0, "x"))
              .isInstanceOf(IllegalArgumentException.class)
              .hasMessageContaining(a[2]);
          assertThatThrownBy(() -> SseEvent.of(a[0], a[1], 0, "x"))
              .isInstanceOf(IllegalArgumentException.class)
              .hasMessageContaining(a[2]);
          assertThatThrownBy(() -> SseFormat.event(null, null, -1 - a[2].length(), "x"))
              .isInstanceOf(IllegalArgumentException.class)
              .hasMessageContaining("retry");
        });
  }

  /**
   * Comments: for any text, {@code SseFormat.comment} is one {@code ": "} line per line of the text
   * (CRLF, CR, LF), LF only, ending in one blank line, so no comment text can start a field or end
   * an event early. 300 tries.
   */
  @Test
  void commentsCannotInject() {
    Prop.forAll(
        "SseFormat.comment lines all start with ': '",
        0xF0A7003L,
        300,
        Gens::string,
        Gens::shrinkString,
        text -> {
          String out = new String(SseFormat.comment(text), StandardCharsets.UTF_8);
          assertThat(out).doesNotContain("\r").endsWith("\n\n");
          String body = out.substring(0, out.length() - 2);
          List<String> lines = List.of(body.split("\n", -1));
          assertThat(lines).allSatisfy(l -> assertThat(l).startsWith(": "));
          assertThat(String.join("\n", lines.stream().map(l -> l.substring(2)).toList()))
              .isEqualTo(text.replace("\r\n", "\n").replace('\r', '\n'));
        });
  }
}
