package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.streamable.StreamableHandler;
import io.servicekit.streamable.StreamableRequest;
import io.servicekit.testkit.FakeRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@link McpAuth} on a real Jetty: a real token issuer made at test start (an RSA key, RS256 JWTs
 * signed with the JDK), a validator that verifies them with nimbus-jose-jwt, and every answer of
 * the authorization section (401 / 400 / 403 with their {@code WWW-Authenticate} challenges, the
 * protected-resource metadata document the challenges point at, and a good token reaching the
 * handler).
 */
class McpAuthTest {
  private static final String V = "2025-11-25";
  private static final String ISSUER = "https://auth.example.com";
  private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private ServiceKitServer server;
  private McpHttp http;
  private McpAuth auth;
  private String resource;
  private TestIssuer issuer;
  private final AtomicInteger writes = new AtomicInteger();
  private final MovableClock clock = new MovableClock();

  /** A clock the test moves forward (for McpAuth's own expiry check). */
  private static final class MovableClock extends Clock {
    volatile Duration offset = Duration.ZERO;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }
  }

  @BeforeEach
  void start() throws Exception {
    issuer = new TestIssuer(ISSUER);
    McpServer mcp =
        McpServer.builder("secured", "1.0")
            .tool(
                "whoami",
                "the caller",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  McpAuth.AccessToken t = ctx.accessToken().orElseThrow();
                  return McpJson.toolResult(
                      McpJson.text(t.subject() + " " + String.join(",", t.scopes())));
                })
            .tool(
                "write_file",
                "needs files:write",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  writes.incrementAndGet();
                  return McpJson.toolResult(McpJson.text("written"));
                })
            .build();
    // The resource identifier names the port, known once the server listens: mount delegates.
    AtomicReference<StreamableHandler> endpoint = new AtomicReference<>();
    AtomicReference<StreamableHandler> metadata = new AtomicReference<>();
    server =
        ServiceKitServer.builder()
            .port(0)
            .route("/mcp", StreamableServe.handler(r -> endpoint.get().handle(r)))
            .route(
                McpAuth.WELL_KNOWN + "/mcp", StreamableServe.handler(r -> metadata.get().handle(r)))
            .build()
            .start();
    resource = "http://127.0.0.1:" + server.port() + "/mcp";
    auth =
        McpAuth.builder(resource)
            .authorizationServer(ISSUER)
            .validator(issuer.validator())
            .resourceName("Secured test server")
            .requiredScopes("mcp:read")
            .operationScopes("tools/call", "write_file", "files:write")
            .scopeImplies("mcp:admin", "mcp:read", "files:write")
            .clock(clock)
            .build();
    McpEndpoint transport = McpEndpoint.builder(mcp).auth(auth).build();
    endpoint.set(transport);
    metadata.set(auth.metadataHandler());
    http = new McpHttp(URI.create(resource));
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private String token(String scopes) throws Exception {
    return issuer.token("alice", resource, scopes, Instant.now().plusSeconds(300));
  }

  private static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  private static Map<String, String> with(Map<String, String> a, Map<String, String> b) {
    Map<String, String> out = new HashMap<>(a);
    out.putAll(b);
    return out;
  }

  /** The auth-params of a {@code Bearer} challenge. */
  private static Map<String, String> challenge(HttpResponse<String> r) {
    String h = r.headers().firstValue("WWW-Authenticate").orElseThrow();
    assertThat(h).startsWith("Bearer ");
    Map<String, String> out = new HashMap<>();
    Matcher m = PARAM.matcher(h);
    while (m.find()) {
      assertThat(out.put(m.group(1), m.group(2))).as("%s appears once", m.group(1)).isNull();
    }
    return out;
  }

  private String initialize(String token) throws Exception {
    HttpResponse<String> r = http.post(McpHttp.initializeBody(V), bearer(token));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.headers().firstValue("Mcp-Session-Id").orElseThrow();
  }

  private static String call(int id, String tool) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool
        + "\",\"arguments\":{}}}";
  }

  @Test
  void noTokenIsChallengedWithTheMetadataUrlAndTheRequiredScopes() throws Exception {
    HttpResponse<String> r = http.post(McpHttp.initializeBody(V), Map.of());
    assertThat(r.statusCode()).isEqualTo(401);
    Map<String, String> c = challenge(r);
    assertThat(c)
        .containsEntry("resource_metadata", auth.metadataUrl())
        .containsEntry("scope", "mcp:read")
        .doesNotContainKey("error"); // RFC 6750 §3.1: no error code without credentials
    assertThat(auth.metadataUrl())
        .isEqualTo(
            "http://127.0.0.1:" + server.port() + "/.well-known/oauth-protected-resource/mcp");
    JsonNode body = McpHttp.json(r.body());
    assertThat(body.path("id").asInt(-1)).isEqualTo(0); // the request's id is echoed
    assertThat(body.path("error").path("code").asInt()).isEqualTo(McpError.SERVER_ERROR);
    assertThat(body.path("error").path("message").asString()).startsWith("Unauthorized:");
    // every HTTP method of the endpoint needs the token
    assertThat(http.send("GET", Map.of("Accept", "text/event-stream")).statusCode()).isEqualTo(401);
    assertThat(http.send("DELETE", Map.of("Mcp-Session-Id", "x")).statusCode()).isEqualTo(401);
    // another scheme counts as no Bearer credentials: 401 without an error code
    HttpResponse<String> basic =
        http.post(McpHttp.initializeBody(V), Map.of("Authorization", "Basic YWxpY2U6cHc="));
    assertThat(basic.statusCode()).isEqualTo(401);
    assertThat(challenge(basic)).doesNotContainKey("error");
  }

  @Test
  void theChallengesMetadataUrlServesTheDocument() throws Exception {
    HttpResponse<String> refused = http.post(McpHttp.initializeBody(V), Map.of());
    URI url = URI.create(challenge(refused).get("resource_metadata"));
    HttpResponse<String> r =
        http.client.send(
            HttpRequest.newBuilder(url).timeout(McpHttp.WAIT).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
    assertThat(r.headers().firstValue("Cache-Control")).contains("public, max-age=3600");
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
    JsonNode doc = McpHttp.json(r.body());
    assertThat(doc.path("resource").asString()).isEqualTo(resource);
    assertThat(doc.path("authorization_servers").toString()).isEqualTo("[\"" + ISSUER + "\"]");
    assertThat(doc.path("scopes_supported").toString())
        .isEqualTo("[\"mcp:read\",\"files:write\",\"mcp:admin\"]");
    assertThat(doc.path("bearer_methods_supported").toString()).isEqualTo("[\"header\"]");
    assertThat(doc.path("resource_name").asString()).isEqualTo("Secured test server");
    assertThat(r.body()).doesNotContain("offline_access");
    HttpResponse<String> post =
        http.client.send(
            HttpRequest.newBuilder(url)
                .timeout(McpHttp.WAIT)
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD, OPTIONS");
  }

  @Test
  void aGoodTokenReachesTheToolWhichSeesTheSubject() throws Exception {
    String token = token("mcp:read");
    String session = initialize(token);
    Map<String, String> h =
        with(bearer(token), Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", V));
    HttpResponse<String> r = http.post(call(7, "whoami"), h);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(McpHttp.json(r.body()).path("result").path("content").get(0).path("text").asString())
        .isEqualTo("alice mcp:read");
    // the token is checked on every request, not once per session
    HttpResponse<String> without =
        http.post(call(8, "whoami"), Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", V));
    assertThat(without.statusCode()).isEqualTo(401);
  }

  @Test
  void aTamperedOrForeignSignatureIsAnInvalidToken() throws Exception {
    String good = token("mcp:read");
    String[] parts = good.split("\\.");
    String forged =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                new String(Base64.getUrlDecoder().decode(parts[1]), "UTF-8")
                    .replace("\"mcp:read\"", "\"mcp:admin\"")
                    .getBytes("UTF-8"));
    String tampered = parts[0] + "." + forged + "." + parts[2];
    TestIssuer other = new TestIssuer(ISSUER); // same name, another key
    String foreign = other.token("mallory", resource, "mcp:admin", Instant.now().plusSeconds(300));
    for (String bad : List.of(tampered, foreign)) {
      HttpResponse<String> r = http.post(McpHttp.initializeBody(V), bearer(bad));
      assertThat(r.statusCode()).isEqualTo(401);
      Map<String, String> c = challenge(r);
      assertThat(c)
          .containsEntry("error", "invalid_token")
          .containsEntry("resource_metadata", auth.metadataUrl());
      assertThat(c.get("error_description")).contains("signature");
      String all = r.headers().map() + r.body();
      assertThat(all).doesNotContain(bad).doesNotContain(parts[2]);
      assertThat(McpHttp.json(r.body()).path("error").path("data").path("error").asString())
          .isEqualTo("invalid_token");
    }
  }

  @Test
  void anExpiredTokenIsAnInvalidToken() throws Exception {
    // refused by the validator (exp in the past)
    String old = issuer.token("alice", resource, "mcp:read", Instant.now().minusSeconds(600));
    HttpResponse<String> r = http.post(McpHttp.initializeBody(V), bearer(old));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(challenge(r)).containsEntry("error", "invalid_token");
    assertThat(challenge(r).get("error_description")).containsIgnoringCase("expired");
    // refused by McpAuth itself once its clock passes the token's expiry
    String soon = issuer.token("alice", resource, "mcp:read", Instant.now().plusSeconds(120));
    assertThat(http.post(McpHttp.initializeBody(V), bearer(soon)).statusCode()).isEqualTo(200);
    clock.offset = Duration.ofMinutes(5);
    HttpResponse<String> late = http.post(McpHttp.initializeBody(V), bearer(soon));
    assertThat(late.statusCode()).isEqualTo(401);
    assertThat(challenge(late))
        .containsEntry("error", "invalid_token")
        .containsEntry("error_description", "the token expired");
  }

  @Test
  void aTokenForAnotherAudienceOrIssuerIsAnInvalidToken() throws Exception {
    String elsewhere =
        issuer.token(
            "alice",
            "http://127.0.0.1:" + server.port() + "/other",
            "mcp:read",
            Instant.now().plusSeconds(300));
    HttpResponse<String> r = http.post(McpHttp.initializeBody(V), bearer(elsewhere));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(challenge(r)).containsEntry("error", "invalid_token");
    assertThat(challenge(r).get("error_description")).contains("audience");
    TestIssuer stranger = new TestIssuer("https://evil.example.com");
    // a validator that trusts the stranger's key: McpAuth still checks the issuer
    McpAuth strict =
        McpAuth.builder(resource)
            .authorizationServer(ISSUER)
            .validator(stranger.validator())
            .build();
    String t = stranger.token("eve", resource, "mcp:read", Instant.now().plusSeconds(300));
    McpAuth.Result result =
        strict.authenticate(
            StreamableRequest.of(
                FakeRequest.builder()
                    .method("POST")
                    .path("/mcp")
                    .header("Authorization", "Bearer " + t)
                    .build(),
                new byte[0]));
    assertThat(result).isInstanceOf(McpAuth.Refused.class);
    McpAuth.Refused refused = (McpAuth.Refused) result;
    assertThat(refused.response().status()).isEqualTo(401);
    assertThat(refused.response().headers().get("WWW-Authenticate").get(0))
        .contains("error=\"invalid_token\"")
        .contains("does not trust");
  }

  @Test
  void aMalformedAuthorizationHeaderIsAnInvalidRequest() throws Exception {
    String good = token("mcp:read");
    for (String value :
        List.of("Bearer", "Bearer    ", "Bearer " + good + " extra", "Bearer a\"b", "Bearer é")) {
      HttpResponse<String> r = http.post(McpHttp.initializeBody(V), Map.of("Authorization", value));
      assertThat(r.statusCode()).as(value).isEqualTo(400);
      assertThat(challenge(r)).as(value).containsEntry("error", "invalid_request");
      assertThat(r.body()).doesNotContain(good);
    }
    // two Authorization headers
    HttpResponse<String> two =
        http.client.send(
            HttpRequest.newBuilder(URI.create(resource))
                .timeout(McpHttp.WAIT)
                .header("Accept", McpHttp.BOTH)
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + good)
                .header("Authorization", "Bearer " + good)
                .POST(HttpRequest.BodyPublishers.ofString(McpHttp.initializeBody(V)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(two.statusCode()).isEqualTo(400);
    assertThat(challenge(two)).containsEntry("error", "invalid_request");
    // a token in the query string (MCP forbids it)
    HttpResponse<String> query =
        http.client.send(
            HttpRequest.newBuilder(URI.create(resource + "?access_token=" + good))
                .timeout(McpHttp.WAIT)
                .header("Accept", McpHttp.BOTH)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(McpHttp.initializeBody(V)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(query.statusCode()).isEqualTo(400);
    assertThat(challenge(query).get("error_description")).contains("query string");
    assertThat(query.body()).doesNotContain(good);
  }

  @Test
  void aMissingScopeIsForbiddenAndTheChallengeListsEveryScopeTheOperationNeeds() throws Exception {
    String token = token("mcp:read");
    String session = initialize(token);
    Map<String, String> h =
        with(bearer(token), Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", V));
    HttpResponse<String> r = http.post(call(9, "write_file"), h);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(challenge(r))
        .containsEntry("error", "insufficient_scope")
        .containsEntry("scope", "mcp:read files:write") // all needed, not only the missing one
        .containsEntry("resource_metadata", auth.metadataUrl());
    JsonNode body = McpHttp.json(r.body());
    assertThat(body.path("id").asInt()).isEqualTo(9);
    assertThat(body.path("error").path("data").path("scope").asString())
        .isEqualTo("mcp:read files:write");
    assertThat(writes.get()).isZero(); // refused before the tool ran
    // a token without even the required scope is refused on initialize too
    HttpResponse<String> none = http.post(McpHttp.initializeBody(V), bearer(token("other")));
    assertThat(none.statusCode()).isEqualTo(403);
    assertThat(challenge(none)).containsEntry("scope", "mcp:read");
    assertThat(
            http.send("GET", with(bearer(token("other")), Map.of("Accept", "text/event-stream")))
                .statusCode())
        .isEqualTo(403);
    // a broader scope (scopeImplies) covers both
    String admin = token("mcp:admin");
    String s2 = initialize(admin);
    HttpResponse<String> ok =
        http.post(
            call(10, "write_file"),
            with(bearer(admin), Map.of("Mcp-Session-Id", s2, "MCP-Protocol-Version", V)));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(writes.get()).isEqualTo(1);
    // and the right scopes work
    String writer = token("mcp:read files:write");
    String s3 = initialize(writer);
    assertThat(
            http.post(
                    call(11, "write_file"),
                    with(bearer(writer), Map.of("Mcp-Session-Id", s3, "MCP-Protocol-Version", V)))
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void aBatchIsRefusedWholeWithOneErrorPerRequestAndTheUnionOfTheirScopes() throws Exception {
    String token = token("mcp:read");
    HttpResponse<String> init = http.post(McpHttp.initializeBody("2025-03-26"), bearer(token));
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    Map<String, String> h =
        with(
            bearer(token), Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-03-26"));
    HttpResponse<String> r =
        http.post("[" + call(1, "whoami") + "," + call(2, "write_file") + "]", h);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(challenge(r)).containsEntry("scope", "mcp:read files:write");
    JsonNode body = McpHttp.json(r.body());
    assertThat(body.isArray()).isTrue();
    assertThat(body.size()).isEqualTo(2);
    assertThat(body.get(0).path("id").asInt()).isEqualTo(1);
    assertThat(body.get(1).path("id").asInt()).isEqualTo(2);
    assertThat(writes.get()).isZero();
    // the same batch with whoami alone passes
    HttpResponse<String> ok = http.post("[" + call(3, "whoami") + "]", h);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
  }

  @Test
  void theMetadataDocumentAnswersHeadAndPreflight() throws Exception {
    URI url = URI.create(auth.metadataUrl());
    HttpResponse<String> head =
        http.client.send(
            HttpRequest.newBuilder(url)
                .timeout(McpHttp.WAIT)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    HttpResponse<String> preflight =
        http.client.send(
            HttpRequest.newBuilder(url)
                .timeout(McpHttp.WAIT)
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://inspector.example.com")
                .header("Access-Control-Request-Method", "GET")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
  }

  @Test
  void aValidatorFailureIsA500WithoutTheToken() throws Exception {
    McpAuth broken =
        McpAuth.builder(resource)
            .authorizationServer(ISSUER)
            .validator(
                t -> {
                  throw new IllegalStateException("key store down while checking " + t);
                })
            .build();
    String t = token("mcp:read");
    McpAuth.Result result =
        broken.authenticate(
            StreamableRequest.of(
                FakeRequest.builder()
                    .method("POST")
                    .path("/mcp")
                    .header("Authorization", "Bearer " + t)
                    .build(),
                McpHttp.initializeBody(V).getBytes("UTF-8")));
    McpAuth.Refused refused = (McpAuth.Refused) result;
    assertThat(refused.response().status()).isEqualTo(500);
    assertThat(refused.response().bodyAsString()).doesNotContain(t).contains("\"id\":0");
  }

  @Test
  void theBuilderRefusesBadSettingsNamingThem() {
    McpAuth.TokenValidator v = t -> McpAuth.AccessToken.of("x", Set.of(), resource);
    assertThatThrownBy(() -> McpAuth.builder("mcp"))
        .hasMessageContaining("resource")
        .hasMessageContaining("mcp");
    assertThatThrownBy(() -> McpAuth.builder("http://mcp.example.com/mcp"))
        .hasMessageContaining("https");
    assertThatThrownBy(() -> McpAuth.builder("https://mcp.example.com/mcp#x"))
        .hasMessageContaining("fragment");
    assertThatThrownBy(() -> McpAuth.builder("https://mcp.example.com/mcp/"))
        .hasMessageContaining("trailing slash");
    McpAuth.Builder b = McpAuth.builder("https://mcp.example.com/mcp");
    assertThatThrownBy(() -> b.authorizationServer("ftp://auth.example.com"))
        .hasMessageContaining("authorizationServer");
    assertThatThrownBy(() -> b.requiredScopes("offline_access"))
        .hasMessageContaining("offline_access");
    assertThatThrownBy(() -> b.scopesSupported("mcp:read", "offline_access"))
        .hasMessageContaining("scopesSupported")
        .hasMessageContaining("offline_access");
    assertThatThrownBy(() -> b.requiredScopes("two words"))
        .hasMessageContaining("requiredScopes")
        .hasMessageContaining("'two words'");
    assertThatThrownBy(() -> b.operationScopes("tools/call", "x")).hasMessageContaining("no scope");
    assertThatThrownBy(b::build).hasMessageContaining("validator");
    b.validator(v);
    assertThatThrownBy(b::build).hasMessageContaining("authorizationServer");
    b.authorizationServer(ISSUER).requiredScopes("mcp:read").scopesSupported("other");
    assertThatThrownBy(b::build).hasMessageContaining("'mcp:read'").hasMessageContaining("other");
    McpAuth root =
        McpAuth.builder("https://MCP.example.com").authorizationServer(ISSUER).validator(v).build();
    assertThat(root.resource()).isEqualTo("https://mcp.example.com");
    assertThat(root.metadataUrl())
        .isEqualTo("https://mcp.example.com/.well-known/oauth-protected-resource");
    assertThat(root.metadata().has("scopes_supported")).isFalse();
  }

  @Test
  void operationScopesFunctionAddsScopesAndItsResultsAreChecked() {
    McpAuth a =
        McpAuth.builder("https://mcp.example.com/mcp")
            .authorizationServer(ISSUER)
            .validator(t -> McpAuth.AccessToken.of("x", Set.of(), "https://mcp.example.com/mcp"))
            .requiredScopes("mcp:read")
            .operationScopes(
                (method, name) ->
                    name != null && name.startsWith("admin_")
                        ? Set.of("mcp:admin")
                        : name != null && name.equals("bad") ? Set.of("offline_access") : Set.of())
            .build();
    assertThat(a.scopesFor("tools/call", "admin_reset")).containsExactly("mcp:read", "mcp:admin");
    assertThat(a.scopesFor("tools/list", null)).containsExactly("mcp:read");
    assertThatThrownBy(() -> a.scopesFor("tools/call", "bad"))
        .hasMessageContaining("tools/call bad")
        .hasMessageContaining("offline_access");
    ObjectNode params = McpJson.object().put("uri", "file:///x");
    assertThat(McpAuth.nameOf("resources/read", params)).isEqualTo("file:///x");
    McpAuth.AccessToken reader =
        McpAuth.AccessToken.of("x", Set.of("mcp:read"), "https://mcp.example.com/mcp");
    assertThat(
            a.authorize(reader, McpJson.MAPPER.getNodeFactory().numberNode(3), "tools/list", null))
        .isEmpty();
    var refused =
        a.authorize(
            reader, McpJson.MAPPER.getNodeFactory().numberNode(4), "tools/call", "admin_reset");
    assertThat(refused).isPresent();
    assertThat(refused.get().status()).isEqualTo(403);
    assertThat(refused.get().headers().get("WWW-Authenticate").get(0))
        .contains("scope=\"mcp:read mcp:admin\"");
    assertThat(refused.get().bodyAsString()).contains("\"id\":4");
  }

  @Test
  void aSessionBelongsToTheUserWhoseTokenOpenedIt() throws Exception {
    String alice = token("mcp:read");
    String session = initialize(alice);
    Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", V);
    HttpResponse<String> own = http.post(call(2, "whoami"), with(headers, bearer(alice)));
    assertThat(own.body()).contains("alice mcp:read");
    String mallory = issuer.token("mallory", resource, "mcp:read", Instant.now().plusSeconds(300));
    HttpResponse<String> other = http.post(call(3, "whoami"), with(headers, bearer(mallory)));
    assertThat(other.statusCode())
        .as("another user's valid token does not reach alice's session: %s", other.body())
        .isEqualTo(404);
    assertThat(other.body()).doesNotContain("alice");
    HttpResponse<String> delete = http.send("DELETE", with(headers, bearer(mallory)));
    assertThat(delete.statusCode()).as("nor can it end the session").isEqualTo(404);
    assertThat(http.post(call(4, "whoami"), with(headers, bearer(alice))).body())
        .contains("alice mcp:read");
  }

  private static String modern(int id, String tool, String extra) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool
        + "\",\"arguments\":{}"
        + extra
        + ",\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
        + "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}}}";
  }

  private static Map<String, String> modernHeaders(String tool, String token) {
    Map<String, String> h = new HashMap<>();
    h.put("MCP-Protocol-Version", "2026-07-28");
    h.put("Mcp-Method", "tools/call");
    h.put("Mcp-Name", tool);
    if (token != null) {
      h.put("Authorization", "Bearer " + token);
    }
    return h;
  }

  @Test
  void theStatelessRevisionChecksTheTokenAndScopesOnEveryRequest() throws Exception {
    HttpResponse<String> none = http.post(modern(1, "whoami", ""), modernHeaders("whoami", null));
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(challenge(none).get("resource_metadata")).isEqualTo(auth.metadataUrl());

    HttpResponse<String> ok =
        http.post(modern(2, "whoami", ""), modernHeaders("whoami", token("mcp:read")));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(ok.body()).contains("alice mcp:read").contains("\"resultType\":\"complete\"");

    HttpResponse<String> forbidden =
        http.post(modern(3, "write_file", ""), modernHeaders("write_file", token("mcp:read")));
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(challenge(forbidden).get("scope")).contains("files:write");
    assertThat(forbidden.body()).contains("\"id\":3");
    assertThat(writes).hasValue(0);
  }

  @Test
  void aRequestStateIsBoundToTheUserItWasIssuedTo() throws Exception {
    McpServer asking =
        McpServer.builder("asking", "1.0")
            .tool(
                "ask",
                "asks a question",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  JsonNode a =
                      ctx.input("q", McpInput.elicit("?", McpJson.object().put("type", "object")));
                  return McpJson.toolResult(
                      McpJson.text(
                          ctx.accessToken().orElseThrow().subject()
                              + ":"
                              + a.path("action").asString()));
                })
            .build();
    try (ServiceKitServer other =
        ServiceKitServer.builder()
            .port(0)
            .route("/mcp", StreamableServe.handler(McpEndpoint.builder(asking).auth(auth).build()))
            .build()
            .start()) {
      McpHttp h = new McpHttp(URI.create("http://127.0.0.1:" + other.port() + "/mcp"));
      String alice = token("mcp:read");
      JsonNode round1 =
          McpHttp.json(h.post(modern(1, "ask", ""), modernHeaders("ask", alice)).body());
      String state = round1.path("result").path("requestState").asString();
      assertThat(state).isNotEmpty();
      String retry =
          ",\"inputResponses\":{\"q\":{\"action\":\"accept\"}},\"requestState\":\"" + state + "\"";
      // the answer comes with the state; alice's retry completes
      assertThat(h.post(modern(2, "ask", retry), modernHeaders("ask", alice)).body())
          .contains("alice:accept");
      // the state needs no answer from an earlier round here, so it is what binds: bob's retry with
      // alice's state is refused
      String bob = issuer.token("bob", resource, "mcp:read", Instant.now().plusSeconds(300));
      JsonNode stolen =
          McpHttp.json(h.post(modern(3, "ask", retry), modernHeaders("ask", bob)).body());
      assertThat(stolen.path("error").path("code").asInt()).isEqualTo(McpError.INVALID_PARAMS);
      assertThat(stolen.path("error").path("message").asString()).contains("another request");
    }
  }
}
