package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every connection the server aborts (no close frame) is reported closed, although the JDK
 * WebSocket sometimes loses the end of input (docs/clients.md, "Why java.net.http"): the client's
 * read-ahead and direct executor make that rare, and the heartbeat finds what is left. The test
 * prints how many of the aborts only the heartbeat found, with the client's own HttpClient and with
 * a given one (the JDK's default executor); {@code -Dservicekit.abort.cycles=N} runs more.
 */
class ServerAbortTest {
  private static final int CYCLES = Integer.getInteger("servicekit.abort.cycles", 200);
  private ServiceKitServer server;

  @BeforeEach
  void start() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/echo",
                r -> WsListener.of(Codec.raw(), "Echo", (session, m) -> session.send(m)),
                WsConfig.builder().writeTimeout(Duration.ofMinutes(1)).build())
            .build()
            .start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  @Test
  void everyAbortIsReportedWithTheClientsOwnHttpClient() throws Exception {
    int found = run(null);
    System.out.printf(
        "server-abort own HttpClient: %d aborts, all reported, %d found by the heartbeat%n",
        CYCLES, found);
  }

  @Test
  void everyAbortIsReportedWithAGivenHttpClient() throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      int found = run(http);
      System.out.printf(
          "server-abort given HttpClient: %d aborts, all reported, %d found by the heartbeat%n",
          CYCLES, found);
    }
  }

  /** Runs the cycles; returns how many drops were reported as 4000 (the heartbeat's finding). */
  private int run(@Nullable HttpClient http) throws Exception {
    int byHeartbeat = 0;
    for (int i = 0; i < CYCLES; i++) {
      Recorder<Message> rec = new Recorder<>();
      WsClient.Builder<Message, Message> b =
          WsClient.builder(server.wsUri("/echo"), Codec.raw())
              .reconnect(ReconnectPolicy.none())
              .pingInterval(Duration.ofMillis(200))
              .pongTimeout(Duration.ofSeconds(1))
              .listener(rec);
      if (http != null) {
        b.httpClient(http);
      }
      try (WsClient<Message, Message> client = b.build()) {
        client.connect().get(20, TimeUnit.SECONDS);
        for (int k = 0; k < 5; k++) {
          client.send(Message.text("m" + k));
        }
        for (int k = 0; k < 5; k++) {
          Recorder.poll(rec.messages);
        }
        server.webSocketSessions().forEach(WsSession::abort);
        CloseStatus status = Recorder.poll(rec.closes);
        assertThat(status.code())
            .as("cycle %d", i)
            .isIn(CloseStatus.ABNORMAL, WsClient.PONG_TIMEOUT);
        if (status.code() == WsClient.PONG_TIMEOUT) {
          byHeartbeat++;
        }
      }
    }
    return byHeartbeat;
  }
}
