package io.servicekit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class RawFrameTest {
  private static final byte[] RFC_KEY = {0x37, (byte) 0xfa, 0x21, 0x3d};

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  private static byte[] hello() {
    return "Hello".getBytes(StandardCharsets.US_ASCII);
  }

  // RFC 6455 §5.7 examples, byte for byte.

  @Test
  void encodesTheRfcUnmaskedTextExample() {
    assertThat(RawFrame.text("Hello").unmasked().encode()).isEqualTo(hex("81 05 48 65 6c 6c 6f"));
  }

  @Test
  void encodesTheRfcMaskedTextExample() {
    assertThat(RawFrame.text("Hello").maskKey(RFC_KEY).encode())
        .isEqualTo(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
  }

  @Test
  void encodesTheRfcFragmentedExample() {
    byte[] both =
        RawFrame.encodeAll(
            RawFrame.text("Hel").fin(false).unmasked(),
            RawFrame.continuation("lo".getBytes(StandardCharsets.US_ASCII)).unmasked());
    assertThat(both).isEqualTo(hex("01 03 48 65 6c 80 02 6c 6f"));
  }

  @Test
  void encodesTheRfcPingAndMaskedPongExamples() {
    assertThat(RawFrame.ping(hello()).unmasked().encode()).isEqualTo(hex("89 05 48 65 6c 6c 6f"));
    assertThat(RawFrame.pong(hello()).maskKey(RFC_KEY).encode())
        .isEqualTo(hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"));
  }

  @Test
  void encodesTheRfc16And64BitLengthExamples() {
    byte[] b256 = RawFrame.binary(new byte[256]).unmasked().encode();
    assertThat(Arrays.copyOf(b256, 4)).isEqualTo(hex("82 7e 01 00"));
    assertThat(b256).hasSize(4 + 256);
    byte[] b64k = RawFrame.binary(new byte[65536]).unmasked().encode();
    assertThat(Arrays.copyOf(b64k, 10)).isEqualTo(hex("82 7f 00 00 00 00 00 01 00 00"));
    assertThat(b64k).hasSize(10 + 65536);
  }

  @Test
  void minimalLengthSwitchesFormsAt126And65536() {
    assertThat(RawFrame.binary(new byte[125]).unmasked().encode()[1]).isEqualTo((byte) 125);
    assertThat(RawFrame.binary(new byte[126]).unmasked().encode()[1]).isEqualTo((byte) 126);
    assertThat(RawFrame.binary(new byte[65535]).unmasked().encode()[1]).isEqualTo((byte) 126);
    assertThat(RawFrame.binary(new byte[65536]).unmasked().encode()[1]).isEqualTo((byte) 127);
  }

  @Test
  void writesNonMinimalLengthEncodingsWhenAsked() {
    assertThat(RawFrame.text("Hello").unmasked().length(RawFrame.Length.BITS_16).encode())
        .isEqualTo(hex("81 7e 00 05 48 65 6c 6c 6f"));
    assertThat(RawFrame.text("Hello").maskKey(RFC_KEY).length(RawFrame.Length.BITS_64).encode())
        .isEqualTo(hex("81 ff 00 00 00 00 00 00 00 05 37 fa 21 3d 7f 9f 4d 51 58"));
  }

  @Test
  void writesADeclaredLengthWithTheMostSignificantBitSet() {
    byte[] wire =
        RawFrame.binary(new byte[] {1, 2}).unmasked().declaredLength(Long.MIN_VALUE | 2).encode();
    assertThat(wire).isEqualTo(hex("82 7f 80 00 00 00 00 00 00 02 01 02"));
  }

  @Test
  void setsFinRsvAndAnyOpcode() {
    RawFrame f = RawFrame.of(0xB, new byte[0]).fin(false).rsv(RawFrame.RSV1 | RawFrame.RSV3);
    assertThat(f.unmasked().encode()).isEqualTo(hex("5b 00"));
    assertThat(RawFrame.text("").rsv(RawFrame.RSV2).unmasked().encode()).isEqualTo(hex("a1 00"));
  }

  @Test
  void masksWithAFreshKeyByDefaultAndDecodesBack() {
    RawFrame f = RawFrame.text("round trip");
    byte[] a = f.encode();
    byte[] b = f.encode();
    assertThat(a[1] & 0x80).isEqualTo(0x80);
    RawFrame back = RawFrame.decode(a);
    assertThat(back.masked()).isTrue();
    assertThat(back.text()).isEqualTo("round trip");
    assertThat(back.opcode()).isEqualTo(RawFrame.TEXT);
    assertThat(back.fin()).isTrue();
    assertThat(RawFrame.decode(b).text()).isEqualTo("round trip");
  }

  @Test
  void encodesCloseFramesWithAnyCodeAndDecodesCodeAndReason() {
    assertThat(RawFrame.close(1000, "bye").unmasked().encode())
        .isEqualTo(hex("88 05 03 e8 62 79 65"));
    RawFrame back = RawFrame.decode(RawFrame.close(999, "x").encode());
    assertThat(back.closeCode()).isEqualTo(999);
    assertThat(back.closeReason()).isEqualTo("x");
    assertThat(RawFrame.decode(RawFrame.closePayload(new byte[0]).encode()).closeCode())
        .isEqualTo(1005);
    assertThat(RawFrame.decode(RawFrame.closePayload(new byte[] {3}).encode()).closeCode())
        .isEqualTo(-1);
  }

  @Test
  void rejectsArgumentsTheWireCannotHold() {
    assertThatThrownBy(() -> RawFrame.binary(new byte[126]).length(RawFrame.Length.BITS_7))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0-125");
    assertThatCode(() -> RawFrame.binary(new byte[0]).length(RawFrame.Length.BITS_16))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> RawFrame.of(16, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0-15");
    assertThatThrownBy(() -> RawFrame.text("").rsv(8)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RawFrame.close(70000, ""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RawFrame.text("").maskKey(new byte[3]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void decodeRefusesIncompleteOrTrailingBytes() {
    byte[] wire = RawFrame.text("Hello").encode();
    assertThatThrownBy(() -> RawFrame.decode(Arrays.copyOf(wire, wire.length - 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RawFrame.decode(Arrays.copyOf(wire, wire.length + 1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
