package io.servicekit;

import java.util.Objects;

/**
 * The application's side of one WebSocket connection: the codec of its messages, a name for logs
 * and the heartbeat, and the callbacks. A {@link WsHandler} makes one listener per connection, so a
 * listener may hold that connection's state; every callback gets the connection's {@link
 * WsSession}.
 *
 * <pre>{@code
 * WsHandler<Object, Object> echo =
 *     request -> WsListener.json("EchoConn", (session, message) -> session.send(message));
 * }</pre>
 *
 * <h2>States and guarantees</h2>
 *
 * <pre>
 *   accept ──▶ onOpen ──▶ onMessage* ──▶ onClose (exactly once)
 *                 │            │  ▲
 *                 │            ▼  │
 *                 │         onError / onTimeout
 *                 └──(throws)─────────────▶ onClose
 * </pre>
 *
 * <ul>
 *   <li>{@code onOpen}, {@code onMessage}, {@code onError}, {@code onTimeout} and {@code onClose}
 *       of one connection are never concurrent and arrive in order. They run on virtual threads and
 *       may block without stalling other connections or the heartbeat.
 *   <li>{@code onClose} runs exactly once, whatever ends the connection (peer close frame of any
 *       code, TCP drop, server close, timeout, slow consumer, write failure), after the last other
 *       callback. A connection that ends before it opens (the socket went during the upgrade) gets
 *       {@code onClose} without {@code onOpen}, so that what {@code accept} set up is always
 *       released.
 *   <li>{@link #onHeartbeat} runs on the scheduler, independent of the other callbacks; it must not
 *       block.
 * </ul>
 *
 * <p>Wire formats, kept from the Go library so its clients keep working: data messages are the
 * codec's bytes as they are; the heartbeat is the text frame {@code
 * {"connId":"...","name":"...","pingId":n,"type":"ping"}} ({@code connId} is {@link
 * WsSession#id()}, {@code name} is {@link #name()}, ping ids start at 1); errors are {@code
 * {"error":"...","type":"error"}}. Both envelopes bypass the codec.
 *
 * @param <I> the type of decoded incoming messages
 * @param <O> the type of outgoing messages
 */
public interface WsListener<I, O> {
  /**
   * The codec of this connection's data messages; {@link WsSession#send(Object)} encodes with it.
   */
  Codec<I, O> codec();

  /**
   * A human-readable name of the connection type, for logs and the heartbeat's {@code name} field.
   * Default: the class's simple name, or {@code "WsListener"} for an anonymous class.
   */
  default String name() {
    String simple = getClass().getSimpleName();
    return simple.isEmpty() || simple.contains("$") ? "WsListener" : simple;
  }

  /**
   * Called once after the upgrade, before any message is delivered. Throwing closes the connection
   * (1011, or the {@link CloseException}'s status); {@code onClose} still runs.
   */
  default void onOpen(WsSession<O> session) throws Exception {}

  /**
   * Handles one decoded message. An exception reaches {@link #onError}; throw a {@link
   * CloseException} to choose the close status, a {@link MessageRejectedException} to answer with
   * the error envelope and keep the connection.
   */
  void onMessage(WsSession<O> session, I message) throws Exception;

  /**
   * Called for a decode failure or an exception from {@link #onMessage}. Return {@link
   * ErrorAction#CONTINUE} to drop that message and keep reading, {@link ErrorAction#CLOSE} to close
   * with a code fitting the error: the {@link CloseException}'s status, 1007 or 1003 for a {@link
   * DecodeException}, 1011 for anything else.
   *
   * <p>Default: a {@link MessageRejectedException} is answered with the error envelope ({@link
   * WsSession#sendError(String)}) and reading continues; anything else closes.
   */
  default ErrorAction onError(WsSession<O> session, Throwable error) {
    if (error instanceof MessageRejectedException rejected) {
      session.sendError(rejected.getMessage());
      return ErrorAction.CONTINUE;
    }
    return ErrorAction.CLOSE;
  }

  /** Called once when the connection has ended, with the status that ended it. */
  default void onClose(WsSession<O> session, CloseStatus status) {}

  /**
   * Called when nothing was received for the pong period. Return {@code true} (the default) to
   * close with 1001, {@code false} to keep the connection and wait another period.
   */
  default boolean onTimeout(WsSession<O> session) {
    return true;
  }

  /**
   * Called every ping period with the next ping id (1, 2, ...). Default: sends the JSON heartbeat
   * {@code {"connId":"<session id>","name":"<name()>","pingId":n,"type":"ping"}}, bypassing the
   * codec. Override to send another format, or nothing.
   */
  default void onHeartbeat(WsSession<O> session, long pingId) {
    session.sendMessage(Message.text(Json.ping(session.id(), name(), pingId)));
  }

  /** Handles one decoded message of a listener made by {@link #of} or {@link #json}. */
  @FunctionalInterface
  interface MessageHandler<I, O> {
    /** See {@link WsListener#onMessage}. */
    void onMessage(WsSession<O> session, I message) throws Exception;
  }

  /**
   * A listener named {@code name} with {@code codec} whose only callback is {@code onMessage}
   * (every other one keeps its default).
   */
  static <I, O> WsListener<I, O> of(
      Codec<I, O> codec, String name, MessageHandler<I, O> onMessage) {
    Objects.requireNonNull(codec, "codec");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(onMessage, "onMessage");
    return new WsListener<>() {
      @Override
      public Codec<I, O> codec() {
        return codec;
      }

      @Override
      public String name() {
        return name;
      }

      @Override
      public void onMessage(WsSession<O> session, I message) throws Exception {
        onMessage.onMessage(session, message);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  /**
   * A dynamic-JSON listener (the Go library's {@code JSONConn}): messages are plain Java values as
   * decoded by {@link JsonCodec}, usually a {@code Map<String, Object>}.
   */
  static WsListener<Object, Object> json(String name, MessageHandler<Object, Object> onMessage) {
    return of(JsonCodec.INSTANCE, name, onMessage);
  }
}
