package io.servicekit;

/** The identity codec: every frame is delivered and sent as it is. */
final class RawCodec implements Codec<Frame, Frame> {
  static final RawCodec INSTANCE = new RawCodec();

  private RawCodec() {}

  @Override
  public Frame decode(Frame frame) {
    return frame;
  }

  @Override
  public Frame encode(Frame message) {
    if (message == null) {
      throw new EncodeException("raw codec cannot send null", null);
    }
    return message;
  }

  @Override
  public String toString() {
    return "RawCodec";
  }
}
