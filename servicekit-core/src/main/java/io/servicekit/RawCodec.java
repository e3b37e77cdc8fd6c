package io.servicekit;

/** The identity codec: every frame is delivered and sent as it is. */
final class RawCodec implements Codec<Message, Message> {
  static final RawCodec INSTANCE = new RawCodec();

  private RawCodec() {}

  @Override
  public Message decode(Message frame) {
    return frame;
  }

  @Override
  public Message encode(Message message) {
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
