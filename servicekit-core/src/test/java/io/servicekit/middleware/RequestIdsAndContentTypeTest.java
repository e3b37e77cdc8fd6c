package io.servicekit.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RequestIdsAndContentTypeTest {
  @Test
  void generatedIdsAre32LowercaseHexAndUnique() {
    String a = RequestIds.generate();
    assertThat(a).matches("[0-9a-f]{32}");
    assertThat(RequestIds.generate()).isNotEqualTo(a);
  }

  @Test
  void validIdsAreKeptInvalidOnesReplacedW82() {
    assertThat(RequestIds.keepOrGenerate("my-trace-id-123")).isEqualTo("my-trace-id-123");
    assertThat(RequestIds.keepOrGenerate("a".repeat(128))).hasSize(128);
    assertThat(RequestIds.keepOrGenerate("a".repeat(129))).matches("[0-9a-f]{32}");
    assertThat(RequestIds.keepOrGenerate("evil\nINFO forged log line")).matches("[0-9a-f]{32}");
    assertThat(RequestIds.keepOrGenerate("")).matches("[0-9a-f]{32}");
    assertThat(RequestIds.keepOrGenerate(null)).matches("[0-9a-f]{32}");
  }

  @Test
  void contentTypeParsesMediaTypesW84() {
    ContentTypeRule json = ContentTypeRule.accepting("application/json");
    assertThat(json.accepts("application/json")).isTrue();
    assertThat(json.accepts("application/json; charset=utf-8")).isTrue();
    assertThat(json.accepts("Application/JSON")).isTrue(); // upstream: 415
    assertThat(json.accepts("application/jsonx")).isFalse(); // upstream: accepted
    assertThat(json.accepts("application/x-www-form-urlencoded")).isFalse();
    assertThat(json.accepts(null)).isFalse();
    assertThat(ContentTypeRule.accepting("text/*").accepts("text/plain")).isTrue();
    assertThat(json.applies("POST")).isTrue();
    assertThat(json.applies("patch")).isTrue();
    assertThat(json.applies("GET")).isFalse();
    assertThat(json.applies("DELETE")).isFalse();
    assertThat(ContentTypeRule.accepting("application/json", "text/plain").message())
        .isEqualTo("Content-Type must be one of: application/json, text/plain");
  }

  @Test
  void emptyOrBadAcceptListIsAnErrorW84() {
    assertThatThrownBy(ContentTypeRule::accepting).hasMessageContaining("at least one");
    assertThatThrownBy(() -> ContentTypeRule.accepting("json")).hasMessageContaining("'json'");
  }
}
