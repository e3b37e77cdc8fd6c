package io.servicekit.sse;

import io.servicekit.JsonCodec;

/**
 * A {@link BaseSseConn} sending dynamic JSON (the Go library's {@code JSONSSEConn}): any value
 * Jackson can write becomes one compact {@code data:} line.
 */
public class JsonSseConn extends BaseSseConn<Object> {
  /** A JSON connection named {@code "JsonSseConn"}. */
  public JsonSseConn() {
    this("JsonSseConn");
  }

  /** A JSON connection named {@code name}. */
  public JsonSseConn(String name) {
    super(JsonCodec.INSTANCE, name);
  }
}
