package io.servicekit.sse;

import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import java.util.Objects;

/**
 * The application's side of one Server-Sent Events stream: the codec that encodes its messages into
 * events and the callbacks the stream's driver calls. An {@link SseHandler} returns one per
 * accepted request; the driver hands the callbacks the stream's {@link SseSession}, which is how
 * the application sends.
 *
 * <h2>Lifecycle</h2>
 *
 * <pre>
 *   SseHandler.accept ──▶ onOpen ──▶ (events are written) ──▶ onClose (exactly once)
 *                            └──(throws: error status, no stream)──▶ onClose
 * </pre>
 *
 * <ul>
 *   <li>{@link SseHandler#accept} runs before anything is sent and can refuse with a {@link
 *       io.servicekit.Rejection}.
 *   <li>{@code onOpen} and {@code onClose} run on a virtual thread, never concurrently, {@code
 *       onClose} after {@code onOpen} returned. Events sent during {@code onOpen} are written once
 *       it returns; if it throws, the client gets an error status instead of a stream.
 *   <li>{@code onClose} runs exactly once, whatever ends the stream: the client going away, {@link
 *       SseSession#close()}, a hub's {@code closeAll}, a slow consumer, a write timeout.
 * </ul>
 *
 * <p>For the common case build one with {@link #json()}, {@link #json(OnOpen)} or {@link #of(Codec,
 * OnOpen)}:
 *
 * <pre>{@code
 * SseHandler<Object> handler = request -> SseListener.json(hub::register);
 * }</pre>
 *
 * @param <O> the outgoing message type
 */
public interface SseListener<O> {
  /** The codec that encodes messages to event data (only {@code encode} is used). */
  Codec<?, O> codec();

  /** A human-readable name of the stream type, for logs. Default: {@code "SseListener"}. */
  default String name() {
    return "SseListener";
  }

  /**
   * Called once when the stream opens, before anything is written. The session is open: sends are
   * queued and written once this returns, and it may join a hub at once.
   *
   * @throws Exception to refuse the stream: the client gets 500, or the {@link
   *     io.servicekit.Rejection}'s status ({@link io.servicekit.Rejection#noContent()}: 204)
   */
  default void onOpen(SseSession<O> session) throws Exception {}

  /** Called once when the stream has ended, with why. */
  default void onClose(SseSession<O> session, StreamEnd end) {}

  /** What {@link #of(Codec, OnOpen)} runs when a stream opens. */
  @FunctionalInterface
  interface OnOpen<O> {
    /** See {@link SseListener#onOpen}. */
    void onOpen(SseSession<O> session) throws Exception;
  }

  /** A listener named {@code "SseListener"} encoding with {@code codec}, with no callbacks. */
  static <O> SseListener<O> of(Codec<?, O> codec) {
    return of("SseListener", codec, session -> {});
  }

  /**
   * A listener named {@code "SseListener"} encoding with {@code codec} that runs {@code onOpen}.
   */
  static <O> SseListener<O> of(Codec<?, O> codec, OnOpen<O> onOpen) {
    return of("SseListener", codec, onOpen);
  }

  /**
   * A listener called {@code name} (for logs) encoding with {@code codec} that runs {@code onOpen}.
   */
  static <O> SseListener<O> of(String name, Codec<?, O> codec, OnOpen<O> onOpen) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(codec, "codec");
    Objects.requireNonNull(onOpen, "onOpen");
    return new SseListener<>() {
      @Override
      public Codec<?, O> codec() {
        return codec;
      }

      @Override
      public String name() {
        return name;
      }

      @Override
      public void onOpen(SseSession<O> session) throws Exception {
        onOpen.onOpen(session);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  /**
   * A listener sending dynamic JSON (any value Jackson can write becomes one compact {@code data:}
   * line), with no callbacks: for streams fed through {@link ResumableStreams#publish} or ended by
   * the server.
   */
  static SseListener<Object> json() {
    return of("JsonSseListener", JsonCodec.INSTANCE, session -> {});
  }

  /** A JSON listener (as {@link #json()}) that runs {@code onOpen}, e.g. {@code hub::register}. */
  static SseListener<Object> json(OnOpen<Object> onOpen) {
    return of("JsonSseListener", JsonCodec.INSTANCE, onOpen);
  }
}
