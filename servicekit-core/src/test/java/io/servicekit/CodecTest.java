package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CodecTest {
  record Move(String type, int x, int y) {}

  @Test
  void jsonCodecDecodesToPlainJavaValues() {
    Object v = JsonCodec.INSTANCE.decode(Message.text("{\"a\":[1,2.5,\"s\",true,null],\"b\":{}}"));
    assertThat(v).isInstanceOf(Map.class);
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) v;
    assertThat(m.get("a")).isEqualTo(java.util.Arrays.asList(1, 2.5, "s", true, null));
    assertThat(m.get("b")).isEqualTo(Map.of());
  }

  @Test
  void jsonCodecEncodesCompactText() {
    Message f = JsonCodec.INSTANCE.encode(Map.of("k", List.of(1, 2)));
    assertThat(f).isEqualTo(Message.text("{\"k\":[1,2]}"));
  }

  @Test
  void jsonCodecRejectsInvalidJsonWith1007() {
    assertThatThrownBy(() -> JsonCodec.INSTANCE.decode(Message.text("{nope")))
        .isInstanceOf(DecodeException.class)
        .satisfies(e -> assertThat(((DecodeException) e).status().code()).isEqualTo(1007))
        .hasMessageContaining("invalid JSON");
  }

  @Test
  void jsonCodecRejectsDuplicateKeysDeepNestingAndHugeNumbers() {
    assertThatThrownBy(() -> JsonCodec.INSTANCE.decode(Message.text("{\"a\":1,\"a\":2}")))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("Duplicate");
    assertThatThrownBy(() -> JsonCodec.INSTANCE.decode(Message.text("[".repeat(10_000))))
        .isInstanceOf(DecodeException.class);
    assertThatThrownBy(() -> JsonCodec.INSTANCE.decode(Message.text("1" + "0".repeat(2000))))
        .isInstanceOf(DecodeException.class);
  }

  @Test
  void jsonCodecRejectsBinaryFramesWith1003() {
    assertThatThrownBy(() -> JsonCodec.INSTANCE.decode(Message.binary(new byte[] {1})))
        .isInstanceOf(DecodeException.class)
        .satisfies(e -> assertThat(((DecodeException) e).status().code()).isEqualTo(1003))
        .hasMessageContaining("binary");
  }

  @Test
  void typedCodecMatchesNamesCaseInsensitivelyAndIgnoresUnknownOnes() {
    TypedJsonCodec<Move, Move> codec = TypedJsonCodec.of(Move.class);
    assertThat(codec.decode(Message.text("{\"TYPE\":\"move\",\"x\":1,\"y\":2,\"extra\":true}")))
        .isEqualTo(new Move("move", 1, 2));
    assertThat(codec.encode(new Move("m", 3, 4)))
        .isEqualTo(Message.text("{\"type\":\"m\",\"x\":3,\"y\":4}"));
  }

  @Test
  void typedCodecNamesTheTypeWhenInputIsInvalid() {
    TypedJsonCodec<Move, Move> codec = TypedJsonCodec.of(Move.class);
    assertThatThrownBy(() -> codec.decode(Message.text("{\"x\":\"not a number\"}")))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("Move");
    assertThatThrownBy(() -> codec.decode(Message.text("null")))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("Move");
  }

  @Test
  void rawCodecPassesFramesThrough() {
    Message b = Message.binary(new byte[] {1, 2});
    assertThat(Codec.raw().decode(b)).isSameAs(b);
    assertThat(Codec.raw().encode(b)).isSameAs(b);
  }

  @Test
  void envelopesKeepTheGoLibraryKeyOrder() {
    assertThat(Json.ping("abc", "Echo", 7))
        .isEqualTo("{\"connId\":\"abc\",\"name\":\"Echo\",\"pingId\":7,\"type\":\"ping\"}");
    assertThat(Json.error("bad \"thing\""))
        .isEqualTo("{\"error\":\"bad \\\"thing\\\"\",\"type\":\"error\"}");
  }

  @Test
  void pongDetectionIsExact() {
    assertThat(Json.isPong("{\"type\":\"pong\",\"pingId\":3}")).isTrue();
    assertThat(Json.isPong("{\"pingId\":3, \"type\" : \"pong\", \"timestamp\": 1}")).isTrue();
    assertThat(Json.isPong("{\"type\":\"ping\",\"pingId\":3}")).isFalse();
    assertThat(Json.isPong("{\"type\":\"chat\",\"message\":\"pong\"}")).isFalse();
    assertThat(Json.isPong("{\"type\":\"pong\"")).isFalse();
    assertThat(Json.isPong("[\"pong\",\"type\",1,2,3,4,5]")).isFalse();
  }
}
