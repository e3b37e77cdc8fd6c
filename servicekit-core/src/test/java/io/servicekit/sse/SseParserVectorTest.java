package io.servicekit.sse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shared vectors in {@code test-vectors/sse} (the JavaScript client's vitest reads the same
 * files): each case fed in its own chunks, whole, and one byte at a time.
 */
class SseParserVectorTest {
  static final Path DIR = Path.of("..", "test-vectors", "sse");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** What one run of the parser reported, in the vectors' terms. */
  record Outcome(
      List<Expected> events,
      List<Long> retries,
      List<String> comments,
      String lastEventId,
      String error) {}

  /** An event as a vector writes it ({@code id} null when the event had no id field). */
  record Expected(String type, String data, String id, String lastEventId) {}

  static List<JsonNode> cases() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        for (JsonNode c : JSON.readTree(f.toFile()).get("cases")) {
          out.add(c);
        }
      }
    }
    return out;
  }

  @TestFactory
  Stream<DynamicTest> vectors() throws IOException {
    return cases().stream()
        .map(c -> DynamicTest.dynamicTest(c.get("name").asString(), () -> run(c)));
  }

  /** The vectors are all there: a missing directory must not pass as zero cases. */
  @Test
  void everyFileIsRead() throws IOException {
    assertThat(cases()).hasSizeGreaterThan(40);
  }

  private static void run(JsonNode c) {
    List<byte[]> chunks = chunks(c);
    Outcome expected = expected(c.get("expect"));
    assertThat(parse(c, chunks)).as("as chunked").isEqualTo(expected);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    chunks.forEach(all::writeBytes);
    byte[] whole = all.toByteArray();
    assertThat(parse(c, List.of(whole))).as("whole").isEqualTo(expected);
    List<byte[]> bytes = new ArrayList<>();
    for (byte b : whole) {
      bytes.add(new byte[] {b});
    }
    assertThat(parse(c, bytes)).as("byte by byte").isEqualTo(expected);
  }

  static List<byte[]> chunks(JsonNode c) {
    List<byte[]> out = new ArrayList<>();
    if (c.has("base64")) {
      c.get("base64").forEach(n -> out.add(Base64.getDecoder().decode(n.asString())));
    } else {
      c.get("chunks").forEach(n -> out.add(n.asString().getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  static Outcome expected(JsonNode e) {
    List<Expected> events = new ArrayList<>();
    for (JsonNode ev : required(e, "events")) {
      events.add(
          new Expected(
              required(ev, "type").asString(),
              required(ev, "data").asString(),
              ev.has("id") ? ev.get("id").asString() : null,
              required(ev, "lastEventId").asString()));
    }
    List<Long> retries = new ArrayList<>();
    required(e, "retries").forEach(n -> retries.add(n.asLong()));
    List<String> comments = new ArrayList<>();
    required(e, "comments").forEach(n -> comments.add(n.asString()));
    String error = e.has("error") ? e.get("error").asString() : null;
    return new Outcome(events, retries, comments, required(e, "lastEventId").asString(), error);
  }

  private static JsonNode required(JsonNode n, String key) {
    JsonNode v = n.get(key);
    if (v == null) {
      throw new IllegalArgumentException("vector without \"" + key + "\": " + n);
    }
    return v;
  }

  static Outcome parse(JsonNode c, List<byte[]> chunks) {
    List<Expected> events = new ArrayList<>();
    List<Long> retries = new ArrayList<>();
    List<String> comments = new ArrayList<>();
    JsonNode limits = c.get("limits");
    SseParser parser =
        new SseParser(
            new SseParser.Listener() {
              @Override
              public void onEvent(SseParser.Event e) {
                events.add(new Expected(e.type(), e.data(), e.id(), e.lastEventId()));
              }

              @Override
              public void onComment(String comment) {
                comments.add(comment);
              }

              @Override
              public void onRetry(long millis) {
                retries.add(millis);
              }
            },
            c.has("lastEventId") ? c.get("lastEventId").asString() : "",
            limits == null ? SseParser.DEFAULT_MAX_LINE_BYTES : limits.get("line").asInt(),
            limits == null ? SseParser.DEFAULT_MAX_EVENT_BYTES : limits.get("event").asInt());
    String error = null;
    try {
      for (byte[] chunk : chunks) {
        parser.feed(chunk, 0, chunk.length);
      }
      parser.end();
    } catch (SseParser.LimitException e) {
      error = e.limit();
      assertThat(e.getMessage()).contains(e.limit() + "=" + e.max());
    }
    return new Outcome(events, retries, comments, parser.lastEventId(), error);
  }
}
