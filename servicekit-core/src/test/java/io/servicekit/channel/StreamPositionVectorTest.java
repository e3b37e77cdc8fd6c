package io.servicekit.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shared vectors in {@code test-vectors/channels/positions.json} (the JavaScript client's
 * vitest reads the same file) through {@link StreamPosition#parse}.
 */
class StreamPositionVectorTest {
  static final Path FILE = Path.of("..", "test-vectors", "channels", "positions.json");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static JsonNode vectors() throws IOException {
    return JSON.readTree(FILE.toFile());
  }

  @TestFactory
  Stream<DynamicTest> valid() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : vectors().get("valid")) {
      String text = c.get("text").asString();
      tests.add(
          DynamicTest.dynamicTest(
              "valid " + text,
              () -> {
                StreamPosition p = StreamPosition.parse(text);
                assertThat(p.epoch()).isEqualTo(c.get("epoch").asString());
                assertThat(p.offset()).isEqualTo(c.get("offset").asLong());
                // the text form is canonical: parsing it again gives the same position
                assertThat(StreamPosition.parse(p.toString())).isEqualTo(p);
              }));
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> invalid() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : vectors().get("invalid")) {
      String text = c.asString();
      tests.add(
          DynamicTest.dynamicTest(
              "invalid \"" + text + "\"",
              () ->
                  assertThatThrownBy(() -> StreamPosition.parse(text))
                      .isInstanceOf(IllegalArgumentException.class)
                      .hasMessageContaining("position")));
    }
    return tests.stream();
  }

  /** The vectors are all there: a missing file or section must not pass as zero cases. */
  @Test
  void everyCaseIsRead() throws IOException {
    assertThat(vectors().get("valid")).hasSizeGreaterThanOrEqualTo(5);
    assertThat(vectors().get("invalid")).hasSizeGreaterThanOrEqualTo(14);
  }
}
