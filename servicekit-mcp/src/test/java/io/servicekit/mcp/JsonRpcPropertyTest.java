package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.props.Gens;
import io.servicekit.props.Prop;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Properties of {@link JsonRpc}, on inputs from a fixed seed. */
class JsonRpcPropertyTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final String[] TOKENS = {
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\t",
    "\r\n",
    "\"jsonrpc\"",
    "\"2.0\"",
    "\"id\"",
    "1",
    "\"method\"",
    "\"m\"",
    "\"result\"",
    "\"error\"",
    "null",
    "true",
    "\"params\"",
    "\uFEFF",
    "-",
    "1e999",
    "\"\\ud800\"",
    "{\"id\":1,\"id\":2}",
    "]]",
    "[[[["
  };

  /** A JSON-RPC-shaped object: each member present or not, of the right type or not. */
  static Map<String, Object> message(SplittableRandom r, int size) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (r.nextInt(8) != 0) {
      m.put(
          "jsonrpc",
          switch (r.nextInt(8)) {
            case 0 -> "1.0";
            case 1 -> 2.0;
            case 2 -> null;
            default -> "2.0";
          });
    }
    if (r.nextInt(3) != 0) {
      m.put(
          "id",
          switch (r.nextInt(8)) {
            case 0 -> null;
            case 1 -> 1.5;
            case 2 -> true;
            case 3 -> List.of(1);
            case 4 -> Map.of("a", 1);
            case 5 -> Gens.string(r, 10);
            case 6 -> r.nextLong();
            default -> r.nextInt(100);
          });
    }
    if (r.nextBoolean()) {
      m.put("method", r.nextInt(5) == 0 ? Gens.jsonValue(r, size, 1) : Gens.string(r, 12));
    }
    if (r.nextInt(3) == 0) {
      m.put("params", Gens.jsonValue(r, size, 2));
    }
    if (r.nextInt(3) == 0) {
      m.put("result", Gens.jsonValue(r, size, 2));
    }
    if (r.nextInt(4) == 0) {
      m.put("error", Map.of("code", -32601, "message", Gens.string(r, 10)));
    }
    if (r.nextInt(4) == 0) {
      m.put(Gens.string(r, 6), Gens.jsonValue(r, size, 1));
    }
    return m;
  }

  /** The JSON-RPC 2.0 rules as JsonRpc documents them: the kind, or null for invalid. */
  static JsonRpc.Kind model(Object value) {
    if (!(value instanceof Map<?, ?> m)) {
      return null;
    }
    if (!"2.0".equals(m.get("jsonrpc"))) {
      return null;
    }
    boolean hasId = m.containsKey("id");
    Object id = m.get("id");
    if (hasId && !(id == null || id instanceof String || id instanceof Number)) {
      return null;
    }
    if (m.containsKey("method")) {
      if (!(m.get("method") instanceof String)) {
        return null;
      }
      return hasId ? JsonRpc.Kind.REQUEST : JsonRpc.Kind.NOTIFICATION;
    }
    if (!hasId || m.containsKey("result") == m.containsKey("error")) {
      return null;
    }
    return JsonRpc.Kind.RESPONSE;
  }

  /**
   * Classification: for any JSON-RPC-shaped object (each of jsonrpc, id, method, params, result,
   * error present or not, of a valid type or not, extra members), {@code classify} returns the kind
   * the JSON-RPC 2.0 rules give, or throws {@link JsonRpcException} {@code -32600} when they make
   * it invalid; never anything else. 1000 tries.
   */
  @Test
  void classifyFollowsTheRules() {
    int[] kinds = new int[4];
    Prop.forAll(
        "JsonRpc.classify == the JSON-RPC 2.0 rules",
        0x4A50001L,
        1000,
        JsonRpcPropertyTest::message,
        m -> {
          byte[] body = JSON.writeValueAsBytes(m);
          JsonRpc.Kind expected = model(m);
          if (expected == null) {
            assertThatThrownBy(() -> JsonRpc.classify(body))
                .isInstanceOfSatisfying(
                    JsonRpcException.class,
                    e -> assertThat(e.code()).isEqualTo(JsonRpcException.INVALID_REQUEST));
            kinds[3]++;
          } else {
            assertThat(JsonRpc.classify(body)).isEqualTo(expected);
            kinds[expected.ordinal()]++;
          }
        });
    assertThat(java.util.Arrays.stream(kinds).min().orElse(0))
        .as("each kind seen")
        .isGreaterThan(30);
  }

  /**
   * Arbitrary input: for any bytes (random, JSON-RPC token soup, valid messages and batches with a
   * byte changed, BOMs), {@code parse}, {@code classify}, {@code splitBatch} and {@code
   * splitBatchBytes} return or throw {@link JsonRpcException} with {@code -32700} or {@code -32600}
   * only, {@code isBatch} never throws, and whenever {@code parse} succeeds {@code isBatch} says
   * whether the value is an array. 2000 tries.
   */
  @Test
  void arbitraryBytesGiveOnlyJsonRpcErrors() {
    Prop.forAll(
        "JsonRpc on arbitrary bytes throws only JsonRpcException",
        0x4A50002L,
        2000,
        JsonRpcPropertyTest::arbitraryBody,
        Gens::shrinkBytes,
        body -> {
          boolean batch = JsonRpc.isBatch(body);
          JsonNode node = documented(() -> JsonRpc.parse(body));
          if (node != null) {
            assertThat(batch)
                .as("isBatch of a parsed %s", node.getNodeType())
                .isEqualTo(node.isArray());
            if (node.isArray() && !node.isEmpty()) {
              assertThat(JsonRpc.splitBatch(body)).hasSize(node.size());
              assertThat(JsonRpc.splitBatchBytes(body)).hasSize(node.size());
            }
          }
          documented(() -> JsonRpc.classify(body));
          documented(() -> JsonRpc.splitBatch(body));
          documented(() -> JsonRpc.splitBatchBytes(body));
        });
  }

  private static <T> T documented(Supplier<T> call) {
    try {
      return call.get();
    } catch (JsonRpcException e) {
      assertThat(e.code()).isIn(JsonRpcException.PARSE_ERROR, JsonRpcException.INVALID_REQUEST);
      assertThat(e.getMessage()).isNotBlank();
      return null;
    }
  }

  static byte[] arbitraryBody(SplittableRandom r, int size) {
    byte[] b =
        switch (r.nextInt(3)) {
          case 0 -> Gens.bytes(r, size, TOKENS);
          case 1 -> JSON.writeValueAsBytes(message(r, size));
          default -> batchBytes(r, batch(r, size), r.nextBoolean());
        };
    if (r.nextBoolean() && b.length > 0) {
      String edits = "[]{}\",: \0x\u00ff";
      b[r.nextInt(b.length)] = (byte) edits.charAt(r.nextInt(edits.length()));
    }
    if (r.nextInt(6) == 0) {
      byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int i = 0, n = 1 + r.nextInt(2); i < n; i++) {
        out.writeBytes(bom);
      }
      out.writeBytes(b);
      b = out.toByteArray();
    }
    return b;
  }

  static List<Object> batch(SplittableRandom r, int size) {
    List<Object> elements = new ArrayList<>();
    for (int i = 0, n = 1 + r.nextInt(6); i < n; i++) {
      elements.add(r.nextInt(5) == 0 ? Gens.jsonValue(r, size, 2) : message(r, size));
    }
    return elements;
  }

  /** {@code elements} as a JSON array with random JSON whitespace and, optionally, a BOM. */
  static byte[] batchBytes(SplittableRandom r, List<Object> elements, boolean bom) {
    StringBuilder s = new StringBuilder(bom ? "\uFEFF" : "");
    s.append(ws(r)).append('[');
    for (int i = 0; i < elements.size(); i++) {
      s.append(i == 0 ? "" : ",").append(ws(r)).append(JSON.writeValueAsString(elements.get(i)));
      s.append(ws(r));
    }
    return s.append(']').append(ws(r)).toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String ws(SplittableRandom r) {
    StringBuilder s = new StringBuilder();
    for (int i = 0, n = r.nextInt(3); i < n; i++) {
      s.append(" \t\r\n".charAt(r.nextInt(4)));
    }
    return s.toString();
  }

  /**
   * Batch splitting round trip: any non-empty list of values (messages valid or not, any JSON),
   * written as an array with any JSON whitespace and an optional BOM, is a batch, and {@code
   * splitBatch} gives back the same values in order, {@code splitBatchBytes} bytes that parse to
   * them; a single message is not a batch and {@code splitBatch} refuses it with {@code -32600}, as
   * it does an empty array. 500 tries.
   */
  @Test
  void batchSplittingRoundTrip() {
    Prop.forAll(
        "JsonRpc.splitBatch(array(elements)) == elements",
        0x4A50003L,
        500,
        (r, size) -> {
          List<Object> elements = batch(r, size);
          return new Object[] {elements, batchBytes(r, elements, r.nextBoolean())};
        },
        a -> {
          @SuppressWarnings("unchecked")
          List<Object> elements = (List<Object>) a[0];
          byte[] body = (byte[]) a[1];
          List<JsonNode> expected = new ArrayList<>();
          for (Object e : elements) {
            expected.add(JSON.readTree(JSON.writeValueAsBytes(e)));
          }
          assertThat(JsonRpc.isBatch(body)).isTrue();
          assertThat(JsonRpc.splitBatch(body)).containsExactlyElementsOf(expected);
          List<JsonNode> reparsed = new ArrayList<>();
          for (byte[] b : JsonRpc.splitBatchBytes(body)) {
            reparsed.add(JSON.readTree(b));
          }
          assertThat(reparsed).containsExactlyElementsOf(expected);
          byte[] single = JSON.writeValueAsBytes(elements.get(0));
          if (!(elements.get(0) instanceof List<?>)) {
            assertThat(JsonRpc.isBatch(single)).isFalse();
            if (elements.get(0) != null) {
              assertThatThrownBy(() -> JsonRpc.splitBatch(single))
                  .isInstanceOfSatisfying(
                      JsonRpcException.class,
                      e -> assertThat(e.code()).isEqualTo(JsonRpcException.INVALID_REQUEST));
            }
          }
          byte[] empty = batchBytes(new SplittableRandom(body.length), List.of(), false);
          assertThatThrownBy(() -> JsonRpc.splitBatch(empty))
              .isInstanceOfSatisfying(
                  JsonRpcException.class,
                  e -> assertThat(e.code()).isEqualTo(JsonRpcException.INVALID_REQUEST));
        });
  }
}
