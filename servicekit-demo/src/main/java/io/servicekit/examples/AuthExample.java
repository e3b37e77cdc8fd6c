package io.servicekit.examples;

import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.MessageRejectedException;
import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * README "Advanced Features → 3. Authentication and Authorization" in Java: the token is checked
 * before the upgrade (401 otherwise), and every message type needs one of a set of roles.
 *
 * <pre>{@code
 * TokenVerifier verifier = token -> myJwtLibrary.verify(token).map(jwt -> new Claims(...));
 * try (ServiceKitServer server = AuthExample.server(8080, verifier, WsConfig.defaults())
 *     .start()) {
 *   server.join();
 * }
 * }</pre>
 *
 * <p>The token comes from {@code Authorization: Bearer <token>} or, for browsers (which cannot set
 * headers on a WebSocket), from {@code ?token=}. Allowed messages are answered with {@code
 * {"type":"ack","for":type,"userId":..}}; refused ones with the error envelope {@code
 * {"error":"insufficient permissions for admin_command","type":"error"}}, and the connection stays
 * open.
 *
 * <p>What differs from the Go sample, and why:
 *
 * <ul>
 *   <li>The JWT check is a pluggable {@link TokenVerifier}: the sample does not depend on a JWT
 *       library, and tests use {@link InMemoryTokenVerifier}. A production verifier checks the
 *       signature, expiry, issuer and audience with a maintained JWT library.
 *   <li>Refusals are {@link Rejection}s thrown from {@link WsHandler#validate} (401 with a {@code
 *       WWW-Authenticate: Bearer} challenge, {@code error="invalid_token"} when a token was
 *       presented, RFC 6750 §3); Go writes the response by hand and returns {@code false}.
 *   <li>Go passes the whole {@code Authorization} value, {@code Bearer} prefix included, to {@code
 *       validateJWT}; here the Bearer scheme is parsed, and other schemes (or a bare token) are
 *       refused with a message saying so.
 *   <li>{@code claims["roles"].([]string)} panics in Go for a JSON-decoded claim (which is {@code
 *       []any}); here claims are a typed {@link Claims} record.
 *   <li>In Go the error returned from {@code HandleMessage} ("insufficient permissions") is
 *       silently dropped by the library, so the client learns nothing; here it gets the error
 *       envelope. Unknown message types are named as such instead of as a permission problem.
 *   <li>A token in the query string ends up in access logs and browser history; clients that can
 *       set headers should use {@code Authorization}. Tokens are never logged here. A token is only
 *       checked at the handshake: a long-lived connection whose token expires would need to be
 *       closed (1008) by the application.
 * </ul>
 */
public final class AuthExample {
  private static final Logger LOG = LoggerFactory.getLogger(AuthExample.class);

  /** The endpoint's path. */
  public static final String PATH = "/secure";

  /** The roles that may send each message type; a type not listed is unknown. */
  public static final Map<String, Set<String>> REQUIRED_ROLES =
      Map.of(
          "admin_command", Set.of("admin"),
          "moderate", Set.of("admin", "moderator"),
          "chat", Set.of("user", "moderator", "admin"));

  private AuthExample() {}

  /**
   * What a valid token says about its holder.
   *
   * @param userId the user's id
   * @param username the user's display name
   * @param roles the user's roles, e.g. {@code user}, {@code moderator}, {@code admin}
   */
  public record Claims(String userId, String username, Set<String> roles) {
    /** Checks that nothing is null and copies the roles. */
    public Claims {
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(username, "username");
      roles = Set.copyOf(roles);
    }
  }

  /** Checks a bearer token (e.g. a JWT's signature, expiry, issuer and audience). */
  @FunctionalInterface
  public interface TokenVerifier {
    /**
     * The claims of {@code token} if it is valid, else empty. Must not throw for a bad token, and
     * must be thread-safe: it runs for every handshake, concurrently.
     */
    Optional<Claims> verify(String token);
  }

  /** A {@link TokenVerifier} backed by a map of known tokens: for tests and demos. Thread-safe. */
  public static final class InMemoryTokenVerifier implements TokenVerifier {
    private final Map<String, Claims> tokens = new ConcurrentHashMap<>();

    /** Makes {@code token} valid for {@code claims}; returns this verifier. */
    public InMemoryTokenVerifier add(String token, Claims claims) {
      tokens.put(Objects.requireNonNull(token, "token"), Objects.requireNonNull(claims, "claims"));
      return this;
    }

    /** Makes {@code token} invalid from now on (established connections are not affected). */
    public void revoke(String token) {
      tokens.remove(token);
    }

    @Override
    public Optional<Claims> verify(String token) {
      return Optional.ofNullable(tokens.get(token));
    }
  }

  /** Authenticates the handshake and creates a {@link SecureConn} for the token's holder. */
  public static final class AuthenticatedHandler implements WsHandler<Object, Object> {
    private static final String CHALLENGE = "Bearer realm=\"servicekit\"";

    private final TokenVerifier verifier;

    /** A handler that accepts tokens {@code verifier} accepts. */
    public AuthenticatedHandler(TokenVerifier verifier) {
      this.verifier = Objects.requireNonNull(verifier, "verifier");
    }

    @Override
    public SecureConn accept(Request request) {
      String token = token(request);
      Claims claims =
          verifier
              .verify(token)
              .orElseThrow(
                  () -> {
                    LOG.debug("invalid token from {}", request.remoteAddress());
                    return unauthorized("Invalid token", "invalid_token");
                  });
      return new SecureConn(claims);
    }

    private static String token(Request request) {
      Optional<String> header = request.header("Authorization");
      if (header.isPresent()) {
        String value = header.get().trim();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).equalsIgnoreCase("Bearer")) {
          throw unauthorized("Authorization header must be 'Bearer <token>'", null);
        }
        String token = value.substring(space + 1).trim();
        if (!token.isEmpty()) {
          return token;
        }
      }
      return request
          .queryParam("token")
          .filter(t -> !t.isBlank())
          .orElseThrow(() -> unauthorized("Missing authentication token", null));
    }

    private static Rejection unauthorized(String body, String error) {
      return Rejection.of(401, body)
          .header(
              "WWW-Authenticate",
              error == null ? CHALLENGE : CHALLENGE + ", error=\"" + error + "\"");
    }
  }

  /** The connection of an authenticated user; every message type is checked against the roles. */
  public static final class SecureConn implements WsListener<Object, Object> {
    // Set by onOpen, before any other callback.
    private volatile WsSession<Object> session;

    @Override
    public void onOpen(WsSession<Object> session) {
      this.session = session;
    }

    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "SecureConn";
    }

    private final Claims claims;

    SecureConn(Claims claims) {
      this.claims = claims;
    }

    /** Who this connection belongs to. */
    public Claims claims() {
      return claims;
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      String type = Messages.type(message);
      if (!REQUIRED_ROLES.containsKey(type)) {
        throw new MessageRejectedException(
            "unknown message type '"
                + type
                + "': expected one of "
                + REQUIRED_ROLES.keySet().stream().sorted().toList());
      }
      if (!hasPermission(type)) {
        throw new MessageRejectedException("insufficient permissions for " + type);
      }
      processMessage(type);
    }

    /** Whether the user has one of the roles {@code messageType} requires; false if unknown. */
    public boolean hasPermission(String messageType) {
      Set<String> required = REQUIRED_ROLES.getOrDefault(messageType, Set.of());
      return claims.roles().stream().anyMatch(required::contains);
    }

    private void processMessage(String type) {
      Map<String, Object> ack = new LinkedHashMap<>();
      ack.put("type", "ack");
      ack.put("for", type);
      ack.put("userId", claims.userId());
      session.send(ack);
    }
  }

  /** A server with the authenticated endpoint at {@link #PATH}; not started. */
  public static ServiceKitServer server(int port, TokenVerifier verifier, WsConfig config) {
    return ServiceKitServer.builder()
        .port(port)
        .ws(PATH, new AuthenticatedHandler(verifier), config)
        .build();
  }
}
