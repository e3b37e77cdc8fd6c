package io.servicekit.mcp;

import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamableHandler;
import io.servicekit.streamable.StreamableRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * MCP authorization with this server as an OAuth 2.1 resource server (opt-in): every request must
 * carry {@code Authorization: Bearer <token>}, which the application's {@link TokenValidator}
 * checks; the token's audience must name this server's {@link #resource() resource identifier} (RFC
 * 8707) and its scopes must cover what the operation needs. Refusals carry a {@code
 * WWW-Authenticate: Bearer} challenge (RFC 6750 §3) pointing at the protected-resource metadata
 * document (RFC 9728), which {@link #metadataHandler()} serves.
 *
 * <pre>{@code
 * McpAuth auth =
 *     McpAuth.builder("https://mcp.example.com/mcp")
 *         .authorizationServer("https://auth.example.com")
 *         .validator(myJwtValidator)
 *         .requiredScopes("mcp:read")
 *         .operationScopes("tools/call", "delete_file", "files:write")
 *         .build();
 * McpEndpoint transport = McpEndpoint.builder(server).auth(auth).build();
 * ServiceKitServer.builder()
 *     .route("/mcp", StreamableServe.handler(transport))
 *     .route(auth.metadataPath(), StreamableServe.handler(auth.metadataHandler()));
 * }</pre>
 *
 * <table>
 * <caption>Answers</caption>
 * <tr><th>case</th><th>status</th><th>{@code WWW-Authenticate: Bearer ...}</th></tr>
 * <tr><td>no {@code Authorization} header, or a scheme other than Bearer</td><td>401</td><td>{@code resource_metadata}, {@code scope} (the required scopes)</td></tr>
 * <tr><td>more than one {@code Authorization} header, {@code Bearer} without a token or with one that is not a b64token, an {@code access_token} query parameter</td><td>400</td><td>{@code error="invalid_request"}</td></tr>
 * <tr><td>token refused by the validator, expired, of another audience or issuer</td><td>401</td><td>{@code error="invalid_token"}</td></tr>
 * <tr><td>a required scope ({@link Builder#requiredScopes}) or a scope the operation needs is missing</td><td>403</td><td>{@code error="insufficient_scope"}, {@code scope} = every scope the operation needs</td></tr>
 * </table>
 *
 * <p>Bodies are JSON-RPC error objects (code {@link McpError#SERVER_ERROR}, the request's id when
 * the body was one request; {@code data} holds {@code error}, {@code error_description}, {@code
 * scope}). The token's text is never logged nor put in an answer. {@code offline_access} is never
 * listed (the builder refuses it).
 *
 * <p>Immutable and thread-safe.
 */
public final class McpAuth {
  private static final Logger LOG = LoggerFactory.getLogger(McpAuth.class);

  /** The well-known path prefix of the metadata document (RFC 9728 §3.1). */
  public static final String WELL_KNOWN = "/.well-known/oauth-protected-resource";

  /** The longest token accepted (longer: 400 invalid_request). */
  public static final int MAX_TOKEN_LENGTH = 16 * 1024;

  /** RFC 6750 §2.1 b64token. */
  private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");

  /** RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E. */
  private static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+");

  private static final String OFFLINE_ACCESS = "offline_access";

  /** What a valid token says: who it was issued for, its scopes, audiences and expiry. */
  public record AccessToken(
      String subject,
      Set<String> scopes,
      Set<String> audiences,
      Optional<String> issuer,
      Optional<Instant> expiresAt) {
    /** Checks and copies the components (sets keep their order). */
    public AccessToken {
      Objects.requireNonNull(subject, "subject");
      scopes = Set.copyOf(new LinkedHashSet<>(Objects.requireNonNull(scopes, "scopes")));
      audiences = Set.copyOf(new LinkedHashSet<>(Objects.requireNonNull(audiences, "audiences")));
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** A token of {@code subject} with {@code scopes} for {@code audience}, no issuer or expiry. */
    public static AccessToken of(String subject, Set<String> scopes, String audience) {
      return new AccessToken(subject, scopes, Set.of(audience), Optional.empty(), Optional.empty());
    }

    /**
     * Whether the token carries {@code scope} itself (not through {@link Builder#scopeImplies}).
     */
    public boolean hasScope(String scope) {
      return scopes.contains(scope);
    }
  }

  /**
   * Checks a bearer token: the application's hook (e.g. a JWT signature, issuer and expiry check,
   * or token introspection). The resource server checks the audience, the expiry and the issuer of
   * what it returns as well.
   */
  @FunctionalInterface
  public interface TokenValidator {
    /**
     * What {@code token} says.
     *
     * @throws InvalidTokenException when the token is not acceptable (answered 401 {@code
     *     invalid_token} with the reason); any other exception is a server fault (500, logged
     *     without the token)
     */
    AccessToken validate(String token) throws InvalidTokenException;
  }

  /** A token refused by a {@link TokenValidator}; the reason reaches the client. */
  public static final class InvalidTokenException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A refusal for {@code reason} (shown to the client: never put the token in it). */
    public InvalidTokenException(String reason) {
      super(reason);
    }

    /** A refusal for {@code reason} caused by {@code cause}. */
    public InvalidTokenException(String reason, Throwable cause) {
      super(reason, cause);
    }
  }

  /** The scopes one operation needs beyond {@link Builder#requiredScopes}. */
  @FunctionalInterface
  public interface OperationScopes {
    /**
     * The scopes {@code method} needs on {@code name}: the tool or prompt name ({@code tools/call},
     * {@code prompts/get}), the resource URI ({@code resources/read}, {@code
     * resources/subscribe|unsubscribe}), the reference's name or URI ({@code completion/complete}),
     * null for other methods. Empty for none.
     */
    Set<String> scopes(String method, @Nullable String name);
  }

  /** The outcome of {@link #authenticate}: {@link Granted} or {@link Refused}. */
  public sealed interface Result permits Granted, Refused {}

  /** The request carries a valid token for this resource. */
  public record Granted(AccessToken token) implements Result {}

  /** The request is refused with {@code response} (401 or 400, with its challenge). */
  public record Refused(SingleResponse response) implements Result {}

  private final String resource;
  private final String metadataUrl;
  private final String metadataPath;
  private final List<String> authorizationServers;
  private final List<String> scopesSupported;
  private final Set<String> requiredScopes;
  private final Map<String, Set<String>> table; // "method\0name" or "method\0" -> scopes
  private final @Nullable OperationScopes operationScopes;
  private final Map<String, Set<String>> implies;
  private final TokenValidator validator;
  private final @Nullable String resourceName;
  private final Clock clock;
  private final String metadataJson;

  private McpAuth(Builder b, TokenValidator validator) {
    this.resource = b.resource;
    URI r = URI.create(b.resource);
    String path = r.getRawPath() == null ? "" : r.getRawPath();
    if (path.equals("/")) {
      path = "";
    }
    this.metadataPath = WELL_KNOWN + path;
    this.metadataUrl = r.getScheme() + "://" + r.getRawAuthority() + metadataPath;
    this.authorizationServers = List.copyOf(b.authorizationServers);
    this.requiredScopes = Collections.unmodifiableSet(new LinkedHashSet<>(b.requiredScopes));
    this.table = frozen(b.table);
    this.operationScopes = b.operationScopes;
    this.implies = frozen(b.implies);
    this.validator = validator;
    this.resourceName = b.resourceName;
    this.clock = b.clock;
    this.scopesSupported = List.copyOf(b.supported());
    this.metadataJson = metadata().toString();
  }

  private static Map<String, Set<String>> frozen(Map<String, Set<String>> m) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, Collections.unmodifiableSet(new LinkedHashSet<>(v))));
    return Collections.unmodifiableMap(out);
  }

  /** A builder for the resource identifier {@code resource}: the canonical URI of the endpoint. */
  public static Builder builder(String resource) {
    return new Builder(resource);
  }

  /** The resource identifier (the canonical URI of the MCP endpoint). */
  public String resource() {
    return resource;
  }

  /**
   * Where the metadata document is served, e.g. {@code /.well-known/oauth-protected-resource/mcp}.
   */
  public String metadataPath() {
    return metadataPath;
  }

  /** The metadata document's absolute URL, as the challenges' {@code resource_metadata} name it. */
  public String metadataUrl() {
    return metadataUrl;
  }

  /** {@code scopes_supported} of the metadata document. */
  public List<String> scopesSupported() {
    return scopesSupported;
  }

  /** The protected-resource metadata document (RFC 9728 §2), a new copy. */
  public ObjectNode metadata() {
    ObjectNode out = McpJson.object().put("resource", resource);
    ArrayNode servers = out.putArray("authorization_servers");
    authorizationServers.forEach(servers::add);
    if (!scopesSupported.isEmpty()) {
      ArrayNode scopes = out.putArray("scopes_supported");
      scopesSupported.forEach(scopes::add);
    }
    out.putArray("bearer_methods_supported").add("header");
    if (resourceName != null) {
      out.put("resource_name", resourceName);
    }
    return out;
  }

  /**
   * A handler serving the metadata document: mount it at {@link #metadataPath()} with {@code
   * StreamableServe.handler(auth.metadataHandler())}. GET and HEAD → 200 {@code application/json},
   * {@code Cache-Control: public, max-age=3600}, {@code Access-Control-Allow-Origin: *} (the
   * document is public, browser clients read it cross-origin); OPTIONS → 204; other methods → 405.
   */
  public StreamableHandler metadataHandler() {
    return request ->
        switch (request.method().toUpperCase(Locale.ROOT)) {
          case "GET", "HEAD" ->
              SingleResponse.json(200, metadataJson)
                  .withHeader("Cache-Control", "public, max-age=3600")
                  .withHeader("Access-Control-Allow-Origin", "*");
          case "OPTIONS" ->
              SingleResponse.empty(204)
                  .withHeader("Access-Control-Allow-Origin", "*")
                  .withHeader("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
                  .withHeader("Access-Control-Max-Age", "86400");
          default ->
              SingleResponse.json(
                      405,
                      McpJson.object()
                          .put("error", "method " + request.method() + " not allowed (use GET)")
                          .toString())
                  .withHeader("Allow", "GET, HEAD, OPTIONS");
        };
  }

  /**
   * Checks the request's bearer token (every MCP request, any HTTP method, both revisions): the
   * {@code Authorization} header's syntax, then the validator, then audience, expiry, issuer and
   * the {@link Builder#requiredScopes} (403 when one lacks). Operation scopes are checked
   * afterwards by {@link #authorize}, once the methods are known.
   */
  public Result authenticate(StreamableRequest request) {
    if (request.queryParam("access_token").isPresent()) {
      return refuse(
          request,
          400,
          "invalid_request",
          "access tokens must be sent in the Authorization header, not in the query string",
          null);
    }
    List<String> values = request.headers("Authorization");
    if (values.isEmpty()) {
      return refuse(request, 401, null, "an access token is required", scopeList(requiredScopes));
    }
    if (values.size() > 1) {
      return refuse(
          request,
          400,
          "invalid_request",
          "more than one Authorization header (" + values.size() + ")",
          null);
    }
    String value = values.get(0).strip();
    int space = indexOfWhitespace(value);
    String scheme = space < 0 ? value : value.substring(0, space);
    if (!scheme.equalsIgnoreCase("Bearer")) {
      // RFC 6750 §3.1: another authentication method carries no error code.
      return refuse(
          request,
          401,
          null,
          "a Bearer access token is required (got the " + describeScheme(scheme) + " scheme)",
          scopeList(requiredScopes));
    }
    String token = space < 0 ? "" : value.substring(space + 1).strip();
    if (token.isEmpty()) {
      return refuse(request, 400, "invalid_request", "Bearer without a token", null);
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      return refuse(
          request,
          400,
          "invalid_request",
          "the token is longer than " + MAX_TOKEN_LENGTH + " characters",
          null);
    }
    if (indexOfWhitespace(token) >= 0) {
      return refuse(
          request, 400, "invalid_request", "the Bearer token must not contain spaces", null);
    }
    if (!B64TOKEN.matcher(token).matches()) {
      return refuse(
          request,
          400,
          "invalid_request",
          "the Bearer token has characters outside RFC 6750 b64token",
          null);
    }
    AccessToken t;
    try {
      t = validator.validate(token);
      if (t == null) {
        throw new IllegalStateException("the token validator returned null");
      }
    } catch (InvalidTokenException e) {
      String reason = scrub(String.valueOf(e.getMessage()), token);
      LOG.debug("access token refused: {}", reason);
      return refuse(request, 401, "invalid_token", reason, scopeList(requiredScopes));
    } catch (RuntimeException e) {
      LOG.warn(
          "the token validator failed: {}: {}",
          e.getClass().getName(),
          scrub(String.valueOf(e.getMessage()), token));
      return new Refused(
          SingleResponse.json(
              500,
              Messages.errorResponse(
                      requestId(request),
                      McpError.INTERNAL_ERROR,
                      "Internal error: the access token could not be checked",
                      null)
                  .toString()));
    }
    if (t.audiences().stream().noneMatch(a -> sameUri(a, resource))) {
      return refuse(
          request,
          401,
          "invalid_token",
          "the token's audience does not name this resource (" + resource + ")",
          scopeList(requiredScopes));
    }
    if (t.expiresAt().isPresent() && !clock.instant().isBefore(t.expiresAt().get())) {
      return refuse(request, 401, "invalid_token", "the token expired", scopeList(requiredScopes));
    }
    if (t.issuer().isPresent()
        && authorizationServers.stream().noneMatch(s -> sameUri(s, t.issuer().get()))) {
      return refuse(
          request,
          401,
          "invalid_token",
          "the token was issued by an authorization server this resource does not trust",
          scopeList(requiredScopes));
    }
    if (!covers(t, requiredScopes)) { // what every request needs, GET and DELETE included
      String body = insufficient(requestId(request), "this resource", requiredScopes).toString();
      return new Refused(forbidden(requiredScopes, "this resource", body));
    }
    return new Granted(t);
  }

  /**
   * The scopes {@code method} on {@code name} needs: the required scopes, those given for it with
   * {@link Builder#operationScopes(String, String, String...)} and those of the {@link
   * OperationScopes} function, in that order.
   *
   * @throws IllegalStateException when the function returns an invalid scope (named)
   */
  public Set<String> scopesFor(String method, @Nullable String name) {
    Set<String> out = new LinkedHashSet<>(requiredScopes);
    out.addAll(table.getOrDefault(key(method, null), Set.of()));
    if (name != null) {
      out.addAll(table.getOrDefault(key(method, name), Set.of()));
    }
    if (operationScopes != null) {
      Set<String> more = operationScopes.scopes(method, name);
      if (more != null) {
        for (String s : more) {
          if (s == null || !SCOPE_TOKEN.matcher(s).matches() || s.equals(OFFLINE_ACCESS)) {
            throw new IllegalStateException(
                "operationScopes returned an invalid scope for "
                    + method
                    + (name == null ? "" : " " + name)
                    + ": "
                    + (s == null ? "null" : "'" + s + "'"));
          }
          out.add(s);
        }
      }
    }
    return out;
  }

  /**
   * Checks the scopes of one operation (the stateless path calls it once the method and name are
   * known): empty when {@code token} covers {@link #scopesFor}, else the 403 answer with {@code
   * insufficient_scope}, every scope the operation needs in {@code scope}, and {@code id} echoed.
   */
  public Optional<SingleResponse> authorize(
      AccessToken token, JsonNode id, String method, @Nullable String name) {
    Set<String> needed = scopesFor(method, name);
    if (covers(token, needed)) {
      return Optional.empty();
    }
    String what = method + (name == null ? "" : " " + name);
    ObjectNode body = insufficient(id, what, needed);
    return Optional.of(forbidden(needed, what, body.toString()));
  }

  /**
   * Checks the scopes of every request among {@code messages} (one POST's messages; notifications
   * and responses need only the token): empty when the token covers them all, else 403 with {@code
   * scope} = every scope those requests need; the body is one JSON-RPC error per request (an array
   * for a batch).
   */
  public Optional<SingleResponse> authorize(AccessToken token, List<JsonNode> messages) {
    Set<String> needed = new LinkedHashSet<>();
    boolean refused = false;
    List<JsonNode> requests = new ArrayList<>();
    for (JsonNode m : messages) {
      if (m.isObject() && m.has("method") && m.has("id")) {
        String method = m.path("method").asString();
        Set<String> s = scopesFor(method, nameOf(method, m.path("params")));
        needed.addAll(s);
        refused |= !covers(token, s);
        requests.add(m);
      }
    }
    if (!refused) {
      return Optional.empty();
    }
    String what =
        requests.size() == 1
            ? requests.get(0).path("method").asString()
                + Optional.ofNullable(
                        nameOf(
                            requests.get(0).path("method").asString(),
                            requests.get(0).path("params")))
                    .map(n -> " " + n)
                    .orElse("")
            : "this batch";
    String body;
    if (requests.size() == 1 && messages.size() == 1) {
      body = insufficient(requests.get(0).get("id"), what, needed).toString();
    } else {
      ArrayNode array = McpJson.array();
      for (JsonNode r : requests) {
        array.add(insufficient(r.get("id"), what, needed));
      }
      body = array.toString();
    }
    return Optional.of(forbidden(needed, what, body));
  }

  /** The name {@link OperationScopes} gets for {@code method} with {@code params}, or null. */
  public static @Nullable String nameOf(String method, @Nullable JsonNode params) {
    if (params == null || !params.isObject()) {
      return null;
    }
    JsonNode v =
        switch (method) {
          case "tools/call", "prompts/get" -> params.path("name");
          case "resources/read", "resources/subscribe", "resources/unsubscribe" ->
              params.path("uri");
          case "completion/complete" -> {
            JsonNode ref = params.path("ref");
            yield ref.has("name") ? ref.path("name") : ref.path("uri");
          }
          default -> null;
        };
    return v != null && v.isString() ? v.asString() : null;
  }

  // ---- answers ----

  private boolean covers(AccessToken token, Set<String> needed) {
    if (needed.isEmpty()) {
      return true;
    }
    Set<String> effective = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>(token.scopes());
    while (!todo.isEmpty()) {
      String s = todo.pop();
      if (effective.add(s)) {
        todo.addAll(implies.getOrDefault(s, Set.of()));
      }
    }
    return effective.containsAll(needed);
  }

  private ObjectNode insufficient(@Nullable JsonNode id, String what, Set<String> needed) {
    ObjectNode body =
        Messages.errorResponse(
            id,
            McpError.SERVER_ERROR,
            "Forbidden: insufficient scope for "
                + what
                + " (needs "
                + String.join(" ", needed)
                + ")",
            null);
    ObjectNode data = ((ObjectNode) body.path("error")).putObject("data");
    data.put("error", "insufficient_scope");
    data.put("scope", String.join(" ", needed));
    data.put("resource_metadata", metadataUrl);
    return body;
  }

  private SingleResponse forbidden(Set<String> needed, String what, String body) {
    String challenge =
        "Bearer error=\"insufficient_scope\", scope=\""
            + String.join(" ", needed)
            + "\", resource_metadata=\""
            + metadataUrl
            + "\", error_description=\""
            + quotable("insufficient scope for " + what)
            + "\"";
    return SingleResponse.json(403, body).withHeader("WWW-Authenticate", challenge);
  }

  private Refused refuse(
      StreamableRequest request,
      int status,
      @Nullable String error,
      String description,
      @Nullable String scope) {
    StringBuilder challenge = new StringBuilder("Bearer ");
    if (error != null) {
      challenge.append("error=\"").append(error).append("\", ");
      challenge.append("error_description=\"").append(quotable(description)).append("\", ");
    }
    challenge.append("resource_metadata=\"").append(metadataUrl).append('"');
    if (scope != null && !scope.isEmpty()) {
      challenge.append(", scope=\"").append(scope).append('"');
    }
    String message = (status == 400 ? "Bad Request: " : "Unauthorized: ") + description;
    ObjectNode body =
        Messages.errorResponse(requestId(request), McpError.SERVER_ERROR, message, null);
    ObjectNode data = ((ObjectNode) body.path("error")).putObject("data");
    if (error != null) {
      data.put("error", error);
    }
    data.put("error_description", description);
    if (scope != null && !scope.isEmpty()) {
      data.put("scope", scope);
    }
    data.put("resource_metadata", metadataUrl);
    return new Refused(
        SingleResponse.json(status, body.toString())
            .withHeader("WWW-Authenticate", challenge.toString()));
  }

  /** The id of a POST whose body is one JSON-RPC request, else null. */
  private static @Nullable JsonNode requestId(StreamableRequest request) {
    if (!"POST".equalsIgnoreCase(request.method())) {
      return null;
    }
    try {
      byte[] body = request.body();
      if (body.length == 0 || JsonRpc.isBatch(body)) {
        return null;
      }
      JsonNode m = JsonRpc.parse(body);
      JsonNode id = m.get("id");
      return id != null && (id.isString() || id.isNumber()) ? id : null;
    } catch (RuntimeException e) { // JsonRpcException included
      return null;
    }
  }

  private static String scopeList(Set<String> scopes) {
    return String.join(" ", scopes);
  }

  /** {@code text} as the content of an RFC 6750 quoted-string: %x20-21 / %x23-5B / %x5D-7E. */
  static String quotable(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < 200; i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c <= 0x7E && c != '"' && c != '\\' ? c : '?');
    }
    return out.toString();
  }

  /** {@code text} without any copy of the token (a validator's careless message). */
  private static String scrub(String text, String token) {
    return token.isEmpty() ? text : text.replace(token, "[token]");
  }

  private static String describeScheme(String scheme) {
    return SCOPE_TOKEN.matcher(scheme).matches() && scheme.length() <= 20
        ? scheme
        : "an unreadable";
  }

  private static int indexOfWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Whether two URIs name the same resource: scheme and host case-insensitive, a trailing slash
   * ignored.
   */
  static boolean sameUri(String a, String b) {
    return a != null && b != null && canonical(a).equals(canonical(b));
  }

  private static String canonical(String uri) {
    try {
      URI u = new URI(uri.strip());
      if (u.getScheme() == null || u.getRawAuthority() == null) {
        return uri.strip();
      }
      String path = u.getRawPath() == null ? "" : u.getRawPath();
      if (path.endsWith("/")) {
        path = path.substring(0, path.length() - 1);
      }
      String authority = u.getRawAuthority().toLowerCase(Locale.ROOT);
      String scheme = u.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("https") && authority.endsWith(":443"))
          || (scheme.equals("http") && authority.endsWith(":80"))) {
        authority = authority.substring(0, authority.lastIndexOf(':'));
      }
      return scheme
          + "://"
          + authority
          + path
          + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    } catch (URISyntaxException e) {
      return uri.strip();
    }
  }

  private static String key(String method, @Nullable String name) {
    return method + '\0' + (name == null ? "" : name);
  }

  /** Builds an {@link McpAuth}; each setting is checked when given, naming it and the value. */
  public static final class Builder {
    private final String resource;
    private final List<String> authorizationServers = new ArrayList<>();
    private @Nullable List<String> scopesSupported; // null: derived
    private final Set<String> requiredScopes = new LinkedHashSet<>();
    private final Map<String, Set<String>> table = new LinkedHashMap<>();
    private final Map<String, Set<String>> implies = new LinkedHashMap<>();
    private @Nullable OperationScopes operationScopes;
    private @Nullable TokenValidator validator;
    private @Nullable String resourceName;
    private Clock clock = Clock.systemUTC();

    private Builder(String resource) {
      this.resource = checkUri("resource", resource, false);
    }

    /**
     * An authorization server (its issuer identifier, RFC 8414) whose tokens this resource accepts;
     * at least one. Listed in {@code authorization_servers}; a token's {@code issuer}, when the
     * validator gives one, must be one of them.
     */
    public Builder authorizationServer(String issuer) {
      String checked = checkUri("authorizationServer", issuer, true);
      if (!authorizationServers.contains(checked)) {
        authorizationServers.add(checked);
      }
      return this;
    }

    /**
     * {@code scopes_supported} of the metadata document. Default: every scope named in {@link
     * #requiredScopes}, {@link #operationScopes(String, String, String...)} and {@link
     * #scopeImplies}. When set, those must be among them.
     */
    public Builder scopesSupported(String... scopes) {
      this.scopesSupported = List.copyOf(checkScopes("scopesSupported", List.of(scopes)));
      return this;
    }

    /** Scopes every request needs (default none: any valid token for this resource will do). */
    public Builder requiredScopes(String... scopes) {
      requiredScopes.addAll(checkScopes("requiredScopes", List.of(scopes)));
      return this;
    }

    /**
     * Scopes {@code method} needs on {@code name} (a tool or prompt name, a resource URI; null: on
     * any name), beyond the required ones. E.g. {@code operationScopes("tools/call", "delete",
     * "files:write")}.
     */
    public Builder operationScopes(String method, String name, String... scopes) {
      if (method == null || method.isBlank()) {
        throw new IllegalArgumentException("operationScopes: method must not be blank: " + method);
      }
      if (scopes.length == 0) {
        throw new IllegalArgumentException(
            "operationScopes: no scope given for " + method + (name == null ? "" : " " + name));
      }
      table
          .computeIfAbsent(key(method, name), k -> new LinkedHashSet<>())
          .addAll(checkScopes("operationScopes", List.of(scopes)));
      return this;
    }

    /**
     * A function giving the scopes of an operation (for rules a table cannot say), added to the
     * table's; its results are checked on use.
     */
    public Builder operationScopes(OperationScopes function) {
      this.operationScopes = Objects.requireNonNull(function, "operationScopes");
      return this;
    }

    /**
     * A scope hierarchy: a token with {@code scope} counts as having {@code implied} too (and what
     * they imply). Challenges still name the scopes an operation needs.
     */
    public Builder scopeImplies(String scope, String... implied) {
      checkScopes("scopeImplies", List.of(scope));
      implies
          .computeIfAbsent(scope, k -> new LinkedHashSet<>())
          .addAll(checkScopes("scopeImplies", List.of(implied)));
      return this;
    }

    /** The application's token check (required). */
    public Builder validator(TokenValidator validator) {
      this.validator = Objects.requireNonNull(validator, "validator");
      return this;
    }

    /** {@code resource_name} of the metadata document (optional). */
    public Builder resourceName(String name) {
      if (name != null && name.isBlank()) {
        throw new IllegalArgumentException("resourceName must not be blank");
      }
      this.resourceName = name;
      return this;
    }

    /** The clock for the expiry check (default UTC system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalStateException without a validator or an authorization server, or when an
     *     explicit {@link #scopesSupported} lacks a scope named elsewhere
     */
    public McpAuth build() {
      TokenValidator v = validator;
      if (v == null) {
        throw new IllegalStateException("McpAuth: validator is required");
      }
      if (authorizationServers.isEmpty()) {
        throw new IllegalStateException(
            "McpAuth: at least one authorizationServer is required (for " + resource + ")");
      }
      if (scopesSupported != null) {
        for (String s : named()) {
          if (!scopesSupported.contains(s)) {
            throw new IllegalStateException(
                "McpAuth: scope '" + s + "' is used but not in scopesSupported " + scopesSupported);
          }
        }
      }
      return new McpAuth(this, v);
    }

    private Set<String> named() {
      Set<String> all = new LinkedHashSet<>(requiredScopes);
      table.values().forEach(all::addAll);
      implies.forEach(
          (k, v) -> {
            all.add(k);
            all.addAll(v);
          });
      return all;
    }

    private List<String> supported() {
      return scopesSupported != null ? scopesSupported : List.copyOf(named());
    }

    private static Set<String> checkScopes(String setting, Collection<String> scopes) {
      Set<String> out = new LinkedHashSet<>();
      for (String s : scopes) {
        if (s == null || !SCOPE_TOKEN.matcher(s).matches()) {
          throw new IllegalArgumentException(
              setting
                  + ": not an OAuth scope (RFC 6749 scope-token, no spaces or quotes): "
                  + (s == null ? "null" : "'" + s + "'"));
        }
        if (s.equals(OFFLINE_ACCESS)) {
          throw new IllegalArgumentException(
              setting
                  + ": offline_access is about refresh tokens, not this resource, and must not be"
                  + " listed");
        }
        out.add(s);
      }
      return out;
    }

    /** Checks an absolute http(s) URI without fragment or query; http only for loopback hosts. */
    private static String checkUri(String setting, String value, boolean issuer) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(setting + " must be an absolute URI, got " + value);
      }
      URI u;
      try {
        u = new URI(value.strip());
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(
            setting + " is not a URI: " + value + " (" + e.getReason() + ")", e);
      }
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if ((!scheme.equals("https") && !scheme.equals("http")) || u.getHost() == null) {
        throw new IllegalArgumentException(
            setting + " must be an absolute https URI with a host, got " + value);
      }
      if (u.getRawFragment() != null || u.getRawQuery() != null) {
        throw new IllegalArgumentException(
            setting + " must not have a query or fragment, got " + value);
      }
      if (u.getRawUserInfo() != null) {
        throw new IllegalArgumentException(setting + " must not have user info, got " + value);
      }
      String host = u.getHost().toLowerCase(Locale.ROOT);
      boolean loopback =
          host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]");
      if (scheme.equals("http") && !loopback) {
        throw new IllegalArgumentException(
            setting + " must use https (http only for localhost), got " + value);
      }
      String path = u.getRawPath() == null ? "" : u.getRawPath();
      String canonical = scheme + "://" + u.getRawAuthority().toLowerCase(Locale.ROOT) + path;
      if (!issuer && path.endsWith("/") && path.length() > 1) {
        throw new IllegalArgumentException(
            setting
                + " should be the endpoint's canonical URI without a trailing slash, got "
                + value);
      }
      return canonical;
    }
  }
}
