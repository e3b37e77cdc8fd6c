package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.props.Gens;
import io.servicekit.props.Prop;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Properties of the JSON and raw codecs and of the transport's ping/error envelopes, on inputs from
 * a fixed seed (see {@link Prop}).
 */
class CodecPropertyTest {
  private static final String[] JSON_TOKENS = {
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u",
    "\\ud83d",
    "0",
    "-",
    "1e",
    "9999999999999999999",
    "1.5",
    "true",
    "false",
    "null",
    "\"a\"",
    " ",
    "\n",
    "\"type\"",
    "\"pong\"",
    "NaN",
    "\u0000",
    "{\"a\":1,\"a\":2}",
    "/*",
    "//"
  };

  /** A record with every shape TypedJsonCodec maps: text, numbers, flags, lists, maps, nesting. */
  public record Sample(
      String name,
      int count,
      long big,
      double ratio,
      boolean flag,
      List<String> tags,
      Map<String, Integer> scores,
      Sample child) {}

  private static Object jsonValue(SplittableRandom r, int size) {
    return Gens.jsonValue(r, size, 4);
  }

  /**
   * JsonCodec: for every JSON-able value v (nested maps/lists, text with controls, quotes, BOM,
   * surrogate pairs, ints/longs/big integers/finite doubles, booleans, null), {@code
   * decode(encode(v))} equals v, also after the text frame travels as UTF-8 bytes. 400 tries.
   */
  @Test
  void jsonCodecRoundTrip() {
    Prop.forAll(
        "JsonCodec decode(encode(v)) == v",
        0x5EEDC0DEC1L,
        400,
        CodecPropertyTest::jsonValue,
        v -> {
          Message frame = JsonCodec.INSTANCE.encode(v);
          assertThat(frame).isInstanceOf(Message.Text.class);
          assertThat(JsonCodec.INSTANCE.decode(frame)).isEqualTo(v);
          String wire = new String(((Message.Text) frame).bytes(), StandardCharsets.UTF_8);
          assertThat(JsonCodec.INSTANCE.decode(Message.text(wire))).isEqualTo(v);
        });
  }

  /**
   * JsonCodec and TypedJsonCodec: decoding any text (random text with lone surrogates, JSON token
   * soup, valid JSON with one character changed) either returns or throws {@link DecodeException}
   * with close code 1007; a binary frame of any bytes throws DecodeException 1003. Nothing else
   * escapes. 1500 tries.
   */
  @Test
  void decodingArbitraryTextThrowsOnlyDecodeException() {
    TypedJsonCodec<Sample, Sample> typed = TypedJsonCodec.of(Sample.class);
    int[] outcomes = new int[2]; // decoded, refused
    Prop.forAll(
        "decode(arbitrary) returns or throws DecodeException",
        0x5EEDC0DEC2L,
        1500,
        CodecPropertyTest::arbitraryJsonText,
        Gens::shrinkString,
        text -> {
          for (Codec<?, ?> codec : List.<Codec<?, ?>>of(JsonCodec.INSTANCE, typed)) {
            try {
              codec.decode(Message.text(text));
              outcomes[0]++;
            } catch (DecodeException e) {
              assertThat(e.status().code()).isEqualTo(CloseStatus.INVALID_PAYLOAD);
              outcomes[1]++;
            }
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> codec.decode(Message.binary(bytes)))
                .isInstanceOfSatisfying(
                    DecodeException.class,
                    e -> assertThat(e.status().code()).isEqualTo(CloseStatus.UNSUPPORTED_DATA));
          }
        });
    // Not vacuous: the inputs reach both outcomes often.
    assertThat(outcomes[0]).as("decoded").isGreaterThan(100);
    assertThat(outcomes[1]).as("refused").isGreaterThan(100);
  }

  /** Text for decoders: arbitrary, token soup, or valid JSON with a random edit. */
  static String arbitraryJsonText(SplittableRandom r, int size) {
    return switch (r.nextInt(4)) {
      case 0 -> Gens.string(r, size, true);
      case 1 -> Gens.tokenSoup(r, size, JSON_TOKENS);
      case 2 ->
          JsonCodec.INSTANCE.encode(jsonValue(r, size)) instanceof Message.Text t ? t.text() : "";
      default -> {
        Message.Text t = (Message.Text) JsonCodec.INSTANCE.encode(jsonValue(r, size));
        StringBuilder s = new StringBuilder(t.text());
        int at = r.nextInt(s.length() + 1);
        if (r.nextBoolean() && at < s.length()) {
          s.deleteCharAt(at);
        } else {
          StringBuilder c = new StringBuilder();
          Gens.appendChar(r, c, true);
          s.insert(at, c);
        }
        yield s.toString();
      }
    };
  }

  /**
   * TypedJsonCodec with a record: for every {@link Sample} (any text, ints, longs, finite doubles
   * including -0.0, lists, maps, a nested child), {@code decode(encode(s))} equals s. 300 tries.
   */
  @Test
  void typedJsonCodecRoundTrip() {
    TypedJsonCodec<Sample, Sample> codec = TypedJsonCodec.of(Sample.class);
    Prop.forAll(
        "TypedJsonCodec decode(encode(record)) == record",
        0x5EEDC0DEC3L,
        300,
        (r, size) -> sample(r, size, 2),
        s -> assertThat(codec.decode(codec.encode(s))).isEqualTo(s));
  }

  private static Sample sample(SplittableRandom r, int size, int depth) {
    List<String> tags = null;
    if (r.nextInt(4) != 0) {
      tags = new ArrayList<>();
      for (int i = 0, n = r.nextInt(4); i < n; i++) {
        tags.add(Gens.string(r, size));
      }
    }
    Map<String, Integer> scores = null;
    if (r.nextInt(4) != 0) {
      scores = new LinkedHashMap<>();
      for (int i = 0, n = r.nextInt(4); i < n; i++) {
        scores.put(Gens.string(r, 10), r.nextInt());
      }
    }
    return new Sample(
        r.nextInt(5) == 0 ? null : Gens.string(r, size),
        r.nextInt(),
        r.nextLong(),
        Gens.finiteDouble(r),
        r.nextBoolean(),
        tags,
        scores,
        depth > 0 && r.nextBoolean() ? sample(r, size, depth - 1) : null);
  }

  /**
   * Codec.raw(): {@code decode} returns the very frame it is given and {@code encode} the very
   * frame it is sent, for text (any chars) and binary (any bytes) frames. 200 tries.
   */
  @Test
  void rawCodecIsTheIdentity() {
    Codec<Message, Message> raw = Codec.raw();
    Prop.forAll(
        "raw codec is the identity",
        0x5EEDC0DEC4L,
        200,
        (r, size) -> {
          if (r.nextBoolean()) {
            return Message.text(Gens.string(r, size, true));
          }
          byte[] b = new byte[r.nextInt(size + 1)];
          r.nextBytes(b);
          return Message.binary(b);
        },
        f -> {
          assertThat(raw.decode(f)).isSameAs(f);
          assertThat(raw.encode(f)).isSameAs(f);
        });
  }

  /**
   * Ping and error envelopes: for any connection id, endpoint name, ping id and error message
   * (controls, quotes, surrogate pairs), the ping parses back as an object with exactly the keys
   * {@code connId, name, pingId, type} in that order and the same values, the error as {@code
   * error, type}; neither is taken for a client pong. 300 tries.
   */
  @Test
  void envelopesRoundTrip() {
    Prop.forAll(
        "ping/error envelopes parse back to their fields",
        0x5EEDC0DEC5L,
        300,
        (r, size) ->
            new Object[] {
              Gens.string(r, size), Gens.string(r, size), r.nextLong(), Gens.string(r, size)
            },
        a -> {
          String connId = (String) a[0];
          String name = (String) a[1];
          long pingId = (Long) a[2];
          String message = (String) a[3];
          JsonNode ping = Json.MAPPER.readTree(Json.ping(connId, name, pingId));
          assertThat(keys(ping)).containsExactly("connId", "name", "pingId", "type");
          assertThat(ping.get("connId").asString()).isEqualTo(connId);
          assertThat(ping.get("name").asString()).isEqualTo(name);
          assertThat(ping.get("pingId").asLong()).isEqualTo(pingId);
          assertThat(ping.get("type").asString()).isEqualTo("ping");
          JsonNode error = Json.MAPPER.readTree(Json.error(message));
          assertThat(keys(error)).containsExactly("error", "type");
          assertThat(error.get("error").asString()).isEqualTo(message);
          assertThat(error.get("type").asString()).isEqualTo("error");
          assertThat(Json.isPong(Json.ping(connId, name, pingId))).isFalse();
          assertThat(Json.isPong(Json.error(message))).isFalse();
        });
  }

  /**
   * Pong detection: {@code Json.isPong} never throws on any text, and is true for exactly the JSON
   * objects of at most 512 chars whose {@code type} is the string {@code pong} (extra fields of any
   * value allowed). 1000 tries.
   */
  @Test
  void pongDetection() {
    int[] outcomes = new int[2]; // pong, not pong
    Prop.forAll(
        "isPong(text) never throws and matches a JSON object with type pong",
        0x5EEDC0DEC6L,
        1000,
        (r, size) -> {
          if (r.nextBoolean()) {
            return arbitraryJsonText(r, size);
          }
          Map<String, Object> pong = new LinkedHashMap<>();
          if (r.nextBoolean()) {
            pong.put("pingId", r.nextLong());
          }
          pong.put("type", r.nextInt(5) == 0 ? Gens.jsonValue(r, size, 1) : "pong");
          for (int i = 0, n = r.nextInt(3); i < n; i++) {
            pong.putIfAbsent(Gens.string(r, 8), Gens.jsonValue(r, size, 2));
          }
          return ((Message.Text) JsonCodec.INSTANCE.encode(pong)).text();
        },
        Gens::shrinkString,
        text -> {
          boolean expected;
          try {
            JsonNode node = Json.MAPPER.readTree(text);
            JsonNode type = node == null ? null : node.get("type");
            expected =
                text.length() <= 512
                    && node.isObject()
                    && type != null
                    && type.isString()
                    && type.asString().equals("pong");
          } catch (RuntimeException notJson) {
            expected = false;
          }
          assertThat(Json.isPong(text)).isEqualTo(expected);
          outcomes[expected ? 0 : 1]++;
        });
    assertThat(outcomes[0]).as("pongs").isGreaterThan(100);
    assertThat(outcomes[1]).as("others").isGreaterThan(100);
  }

  private static List<String> keys(JsonNode node) {
    List<String> out = new ArrayList<>();
    Iterator<String> it = node.propertyNames().iterator();
    it.forEachRemaining(out::add);
    return out;
  }
}
