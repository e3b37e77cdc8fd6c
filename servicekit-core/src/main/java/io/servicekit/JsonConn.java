package io.servicekit;

/**
 * A {@link BaseConn} for dynamic JSON (the Go library's {@code JSONConn}): messages are plain Java
 * values as decoded by {@link JsonCodec} — usually a {@code Map<String, Object>}.
 */
public class JsonConn extends BaseConn<Object, Object> {
  /** A JSON connection named {@code "JsonConn"}. */
  public JsonConn() {
    this("JsonConn");
  }

  /** A JSON connection named {@code name}. */
  public JsonConn(String name) {
    super(JsonCodec.INSTANCE, name);
  }
}
