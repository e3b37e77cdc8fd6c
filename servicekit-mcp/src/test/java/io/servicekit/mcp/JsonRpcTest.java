package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class JsonRpcTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void detectsBatches() {
    assertThat(JsonRpc.isBatch(b("[{\"a\":1}]"))).isTrue();
    assertThat(JsonRpc.isBatch(b(" \t\r\n[1]"))).isTrue();
    assertThat(JsonRpc.isBatch(b("[]"))).isTrue();
    assertThat(JsonRpc.isBatch(b("\uFEFF [1]"))).isTrue(); // BOM skipped
    assertThat(JsonRpc.isBatch(b("{\"a\":[1]}"))).isFalse();
    assertThat(JsonRpc.isBatch(b(""))).isFalse();
    assertThat(JsonRpc.isBatch(b("  \n"))).isFalse();
    assertThat(JsonRpc.isBatch(b("x["))).isFalse();
  }

  @Test
  void splitsBatchesInOrder() {
    List<JsonNode> parts =
        JsonRpc.splitBatch(
            b(
                " [{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"},"
                    + " {\"jsonrpc\":\"2.0\",\"method\":\"b\"}, 3]"));
    assertThat(parts).hasSize(3);
    assertThat(parts.get(0).get("method").asString()).isEqualTo("a");
    assertThat(parts.get(2).asInt()).isEqualTo(3);

    List<byte[]> raw = JsonRpc.splitBatchBytes(b("[ {\"a\" : 1} , [2] ]"));
    assertThat(raw)
        .extracting(x -> new String(x, StandardCharsets.UTF_8))
        .containsExactly("{\"a\":1}", "[2]");
  }

  @Test
  void badBatchesAreErrors() {
    assertThatThrownBy(() -> JsonRpc.splitBatch(b("[]")))
        .isInstanceOf(JsonRpcException.class)
        .hasMessageContaining("empty batch")
        .extracting(e -> ((JsonRpcException) e).code())
        .isEqualTo(JsonRpcException.INVALID_REQUEST);
    assertThatThrownBy(() -> JsonRpc.splitBatch(b("{\"a\":1}")))
        .isInstanceOf(JsonRpcException.class)
        .hasMessageContaining("expected an array");
    assertThatThrownBy(() -> JsonRpc.splitBatch(b("null")))
        .isInstanceOf(JsonRpcException.class)
        .hasMessageContaining("null");
    assertThatThrownBy(() -> JsonRpc.splitBatch(b("[1,")))
        .isInstanceOf(JsonRpcException.class)
        .extracting(e -> ((JsonRpcException) e).code())
        .isEqualTo(JsonRpcException.PARSE_ERROR);
    assertThatThrownBy(() -> JsonRpc.splitBatch(b("[1] [2]")))
        .isInstanceOf(JsonRpcException.class)
        .extracting(e -> ((JsonRpcException) e).code())
        .isEqualTo(JsonRpcException.PARSE_ERROR);
    assertThatThrownBy(() -> JsonRpc.parse(b("")))
        .isInstanceOf(JsonRpcException.class)
        .extracting(e -> ((JsonRpcException) e).code())
        .isEqualTo(JsonRpcException.PARSE_ERROR);
    assertThatThrownBy(() -> JsonRpc.parse(b("{\"a\":1,\"a\":2}")))
        .isInstanceOf(JsonRpcException.class)
        .hasMessageContaining("invalid JSON-RPC body");
  }

  @Test
  void classifiesMessages() {
    assertThat(JsonRpc.classify(b("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")))
        .isEqualTo(JsonRpc.Kind.REQUEST);
    assertThat(
            JsonRpc.classify(
                b("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"m\",\"params\":{}}")))
        .isEqualTo(JsonRpc.Kind.REQUEST);
    assertThat(
            JsonRpc.classify(b("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")))
        .isEqualTo(JsonRpc.Kind.NOTIFICATION);
    assertThat(JsonRpc.classify(b("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}")))
        .isEqualTo(JsonRpc.Kind.RESPONSE);
    assertThat(
            JsonRpc.classify(
                b(
                    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"x\"}}")))
        .isEqualTo(JsonRpc.Kind.RESPONSE);
  }

  @Test
  void invalidMessagesNameTheRule() {
    assertInvalid("[1]", "must be an object");
    assertInvalid("{\"id\":1,\"method\":\"m\"}", "\"jsonrpc\": \"2.0\"");
    assertInvalid("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}", "\"jsonrpc\": \"2.0\"");
    assertInvalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", "method must be a string");
    assertInvalid("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"m\"}", "id must be");
    assertInvalid("{\"jsonrpc\":\"2.0\"}", "needs \"method\"");
    assertInvalid("{\"jsonrpc\":\"2.0\",\"id\":1}", "exactly one of");
    assertInvalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}", "exactly one of");
  }

  private static void assertInvalid(String json, String message) {
    assertThatThrownBy(() -> JsonRpc.classify(b(json)))
        .isInstanceOf(JsonRpcException.class)
        .hasMessageContaining(message)
        .extracting(e -> ((JsonRpcException) e).code())
        .isEqualTo(JsonRpcException.INVALID_REQUEST);
  }

  /** Found by JsonRpcPropertyTest: a second BOM made parse see an array that isBatch did not. */
  @Test
  void aSecondBomIsAParseError() {
    byte[] body = b("\uFEFF\uFEFF[1]");
    assertThat(JsonRpc.isBatch(body)).isFalse();
    assertThatThrownBy(() -> JsonRpc.parse(body))
        .isInstanceOfSatisfying(
            JsonRpcException.class,
            e -> assertThat(e.code()).isEqualTo(JsonRpcException.PARSE_ERROR))
        .hasMessageContaining("more than one byte order mark");
    assertThatThrownBy(() -> JsonRpc.splitBatch(body)).isInstanceOf(JsonRpcException.class);
    assertThat(JsonRpc.parse(b("\uFEFF[1]")).isArray()).isTrue();
  }
}
