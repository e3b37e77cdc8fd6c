package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionIdsTest {
  @Test
  void idsAre128BitHexAndVisibleAscii() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String id = SessionIds.generate();
      assertThat(id).matches("[0-9a-f]{32}");
      assertThat(id.chars()).allMatch(c -> c >= 0x21 && c <= 0x7E);
      assertThat(SessionIds.isValid(id)).isTrue();
      seen.add(id);
    }
    assertThat(seen).hasSize(1000);
  }

  @Test
  void validation() {
    assertThat(SessionIds.isValid("abc-DEF_1.2~!")).isTrue();
    assertThat(SessionIds.isValid(null)).isFalse();
    assertThat(SessionIds.isValid("")).isFalse();
    assertThat(SessionIds.isValid("a b")).isFalse();
    assertThat(SessionIds.isValid("a\u007f")).isFalse();
    assertThat(SessionIds.isValid("é")).isFalse();
    assertThat(SessionIds.isValid("x".repeat(SessionIds.MAX_LENGTH))).isTrue();
    assertThat(SessionIds.isValid("x".repeat(SessionIds.MAX_LENGTH + 1))).isFalse();
  }
}
