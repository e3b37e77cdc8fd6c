package io.servicekit.spi;

import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.internal.driver.SseConnection;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;
import org.jspecify.annotations.Nullable;

/**
 * The driver of one Server-Sent Events stream, as a server binding sees it: the binding creates one
 * per accepted request, sets the status and headers, calls {@link #open} with its {@link
 * SseTransport}, and reports the response's failure; the driver runs the {@link SseListener}'s
 * callbacks, the queue, keepalives and resumption. The application sees only its {@link
 * #session()}.
 */
public interface SseDriver {
  /**
   * The {@code Last-Event-ID} of {@code request}, or null if absent or empty. Check it before the
   * handler accepts the request.
   *
   * @throws Rejection 400 if the header is repeated or longer than {@link
   *     SseConfig#maxLastEventIdLength()}
   */
  static @Nullable String lastEventId(Request request, SseConfig config) {
    return SseConnection.lastEventId(request, config);
  }

  /**
   * A driver in state {@code NEW} for {@code listener}.
   *
   * @param lastEventId the client's {@code Last-Event-ID} as {@link #lastEventId(Request,
   *     SseConfig)} returned it, or null
   * @throws Rejection if resumption is on and its stream-id function refuses the request
   */
  static <O> SseDriver create(
      SseListener<O> listener, SseConfig config, Request request, @Nullable String lastEventId) {
    return new SseConnection<>(listener, config, request, lastEventId);
  }

  /** The session the application sees (the same object for the driver's whole life). */
  SseSession<?> session();

  /**
   * The response is ready (status and headers set, nothing written): joins the resumable stream,
   * starts keepalives and runs {@code onOpen}; writing starts when {@code onOpen} returns.
   *
   * @throws IllegalStateException if called twice
   */
  void open(SseTransport transport);

  /** The response failed underneath: the client went away, or the server is stopping. */
  void onTransportFailure(Throwable cause);
}
