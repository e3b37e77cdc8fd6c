package io.servicekit.demo.sse;

import io.servicekit.JsonCodec;
import io.servicekit.Rejection;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseHub;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;
import io.servicekit.sse.StreamEnd;
import java.time.Duration;
import java.util.Map;

/**
 * The code samples of {@code docs/sse.md}, compiled with the demo (the docs quote the regions
 * between {@code [START name]} and {@code [END name]}) and exercised by {@code SseExamplesTest}.
 */
public final class SseExamples {
  private SseExamples() {}

  /** The Go README's basic endpoint. */
  static ServiceKitServer.Builder basic(ServiceKitServer.Builder builder) {
    // [START basic]
    return builder.sse("/events", request -> SseListener.json());
    // [END basic]
  }

  /** Sends each kind of event. */
  static void sending(SseSession<Object> session) {
    // [START sending]
    // Plain data event (clients see type "message")
    session.send(Map.of("status", "updated"));
    // Named event (clients use addEventListener("alert", ...))
    session.sendEvent("alert", Map.of("level", "warning"));
    // Named event with an id (sent back as Last-Event-ID on reconnect)
    session.sendEventWithId("update", "42", Map.of("version", 3));
    // Reconnection hint and a comment, both ignored as events by clients
    session.sendRetry(Duration.ofSeconds(5));
    session.sendComment("still here");
    // [END sending]
  }

  // [START hub]
  /** Notifications for signed-in users; every stream joins the hub when it starts. */
  static final class Notifications {
    final SseHub<Object> hub = new SseHub<>();

    ServiceKitServer.Builder routes(ServiceKitServer.Builder builder) {
      return builder.sse(
          "/notifications",
          request -> {
            String user =
                request.header("X-User").orElseThrow(() -> Rejection.of(401, "sign in first"));
            return new SseListener<Object>() {
              @Override
              public JsonCodec codec() {
                return JsonCodec.INSTANCE;
              }

              @Override
              public void onOpen(SseSession<Object> session) {
                hub.register(user, session); // leaves the hub by itself when the stream ends
              }

              @Override
              public void onClose(SseSession<Object> session, StreamEnd end) {
                System.out.println(user + " left: " + end.reason());
              }
            };
          });
    }

    void examples() {
      hub.send("alice", Map.of("text", "hello Alice")); // one stream, by its key
      hub.broadcast(Map.of("text", "hello everyone")); // never blocks on a slow client
      hub.broadcastEvent("alert", Map.of("level", "warning"));
      hub.closeAll("shutdown", Map.of("reason", "restarting")); // a final event, then end
    }
  }

  // [END hub]

  /** Refusing streams. */
  static ServiceKitServer.Builder refusing(ServiceKitServer.Builder builder) {
    // [START refusing]
    return builder.sse(
        "/game/{id}/events",
        request -> {
          String game = request.pathParam("id").orElseThrow();
          if (game.equals("over")) {
            throw Rejection.noContent("game over"); // 204: EventSource stops reconnecting
          }
          if (request.header("Authorization").isEmpty()) {
            throw Rejection.of(401, "Missing token").header("WWW-Authenticate", "Bearer");
          }
          return SseListener.json();
        });
    // [END refusing]
  }

  /** Per-user resumable streams with a bounded budget per client. */
  static SseConfig perUser() {
    // [START per-user]
    ResumableStreams streams =
        ResumableStreams.builder()
            .streamId(
                request ->
                    request.header("X-User").orElseThrow(() -> Rejection.of(401, "sign in first")))
            .unknownIdPolicy(ResumableStreams.UnknownIdPolicy.RESYNC) // the default
            .build();
    return SseConfig.builder()
        .resumable(streams)
        .keepalivePeriod(Duration.ofSeconds(20)) // Duration.ZERO turns keepalives off
        .retry(Duration.ofSeconds(3))
        .maxQueuedBytes(1 << 20) // 1 MiB of unsent events per client
        .slowConsumerPolicy(SlowConsumerPolicy.CLOSE) // then drop it: it resumes on reconnect
        .build();
    // [END per-user]
  }
}
