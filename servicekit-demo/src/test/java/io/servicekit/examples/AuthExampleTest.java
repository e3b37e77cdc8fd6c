package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.WsConfig;
import io.servicekit.examples.AuthExample.Claims;
import io.servicekit.examples.AuthExample.InMemoryTokenVerifier;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AuthExampleTest {
  private final InMemoryTokenVerifier verifier =
      new InMemoryTokenVerifier()
          .add("admin-token", new Claims("u-admin", "root", Set.of("admin")))
          .add("user-token", new Claims("u-user", "alice", Set.of("user")));

  private ServiceKitServer start() throws Exception {
    return AuthExample.server(0, verifier, WsConfig.defaults()).start();
  }

  private static TestWsClient.HandshakeFailed refusal(Runnable connect) {
    try {
      connect.run();
    } catch (TestWsClient.HandshakeFailed e) {
      return e;
    }
    throw new AssertionError("the handshake was accepted");
  }

  @Test
  void missingTokenIs401WithABareChallenge() throws Exception {
    try (ServiceKitServer server = start()) {
      TestWsClient.HandshakeFailed e =
          refusal(() -> TestWsClient.connect(server.wsUri(AuthExample.PATH)));
      assertThat(e.status()).isEqualTo(401);
      assertThat(e.body()).isEqualTo("Missing authentication token");
      assertThat(e.header("WWW-Authenticate")).contains("Bearer realm=\"servicekit\"");
    }
  }

  @Test
  void invalidTokenIs401WithInvalidTokenError() throws Exception {
    try (ServiceKitServer server = start()) {
      TestWsClient.HandshakeFailed viaHeader =
          refusal(
              () ->
                  TestWsClient.builder(server.wsUri(AuthExample.PATH))
                      .header("Authorization", "Bearer forged")
                      .connect());
      assertThat(viaHeader.status()).isEqualTo(401);
      assertThat(viaHeader.body()).isEqualTo("Invalid token");
      assertThat(viaHeader.header("WWW-Authenticate"))
          .contains("Bearer realm=\"servicekit\", error=\"invalid_token\"");

      TestWsClient.HandshakeFailed viaQuery =
          refusal(() -> TestWsClient.connect(server.wsUri(AuthExample.PATH + "?token=forged")));
      assertThat(viaQuery.status()).isEqualTo(401);
      assertThat(viaQuery.body()).isEqualTo("Invalid token");

      // The raw token without the Bearer scheme (what the Go sample expects) is refused too.
      TestWsClient.HandshakeFailed noScheme =
          refusal(
              () ->
                  TestWsClient.builder(server.wsUri(AuthExample.PATH))
                      .header("Authorization", "admin-token")
                      .connect());
      assertThat(noScheme.status()).isEqualTo(401);
      assertThat(noScheme.body()).isEqualTo("Authorization header must be 'Bearer <token>'");
    }
  }

  @Test
  void adminMayRunAdminCommands() throws Exception {
    try (ServiceKitServer server = start();
        TestWsClient admin =
            TestWsClient.builder(server.wsUri(AuthExample.PATH))
                .header("Authorization", "Bearer admin-token")
                .connect()) {
      admin.sendJson(Map.of("type", "admin_command", "command", "flush"));
      assertThat(admin.awaitJson())
          .isEqualTo(Map.of("type", "ack", "for", "admin_command", "userId", "u-admin"));
      admin.sendJson(Map.of("type", "moderate"));
      assertThat(admin.awaitJson()).containsEntry("type", "ack").containsEntry("for", "moderate");
    }
  }

  @Test
  void userGetsAnErrorEnvelopeForAdminCommandsAndKeepsTheConnection() throws Exception {
    try (ServiceKitServer server = start();
        TestWsClient user =
            TestWsClient.connect(server.wsUri(AuthExample.PATH + "?token=user-token"))) {
      user.sendJson(Map.of("type", "admin_command", "command", "flush"));
      assertThat(user.awaitJson())
          .isEqualTo(
              Map.of("type", "error", "error", "insufficient permissions for admin_command"));
      user.sendJson(Map.of("type", "moderate"));
      assertThat(user.awaitJson()).containsEntry("error", "insufficient permissions for moderate");
      user.sendJson(Map.of("type", "launch"));
      assertThat(user.awaitJson())
          .containsEntry(
              "error",
              "unknown message type 'launch': expected one of [admin_command, chat, moderate]");

      user.sendJson(Map.of("type", "chat", "text", "hello"));
      assertThat(user.awaitJson())
          .isEqualTo(Map.of("type", "ack", "for", "chat", "userId", "u-user"));
    }
  }

  @Test
  void revokedTokenNoLongerConnects() throws Exception {
    try (ServiceKitServer server = start()) {
      TestWsClient.connect(server.wsUri(AuthExample.PATH + "?token=user-token")).close();
      verifier.revoke("user-token");
      assertThatThrownBy(
              () -> TestWsClient.connect(server.wsUri(AuthExample.PATH + "?token=user-token")))
          .isInstanceOfSatisfying(
              TestWsClient.HandshakeFailed.class, e -> assertThat(e.status()).isEqualTo(401));
    }
  }
}
