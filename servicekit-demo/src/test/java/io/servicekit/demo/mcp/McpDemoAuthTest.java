package io.servicekit.demo.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.McpHttpClientTransportAuthorizationException;
import io.modelcontextprotocol.client.transport.customizer.McpHttpClientTransportAuthorizationErrorHandler;
import io.modelcontextprotocol.spec.McpSchema;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.mcp.McpAuth;
import io.servicekit.mcp.McpJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The demo's opt-in authorization ({@link McpDemoAuth}, {@code MCP_AUTH_*}): a key pair made at
 * test start, its public JWK Set in a file as {@code MCP_AUTH_JWKS}, RS256 access tokens signed
 * with it, and the official MCP Java SDK client sending one in {@code Authorization} through its
 * request builder; without a token the same client is refused.
 */
class McpDemoAuthTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String ISSUER = "https://auth.example.com";

  @TempDir Path dir;

  @Test
  void offUnlessTheResourceIsSetAndBadSettingsAreNamed() {
    assertThat(McpDemoAuth.fromEnvironment(Map.<String, String>of()::get)).isEmpty();
    assertThatThrownBy(
            () ->
                McpDemoAuth.fromEnvironment(
                    Map.of(McpDemoAuth.RESOURCE, "http://localhost:8080/mcp")::get))
        .hasMessageContaining("MCP_AUTH_ISSUER")
        .hasMessageContaining("MCP_AUTH_JWKS");
    assertThatThrownBy(
            () ->
                McpDemoAuth.fromEnvironment(
                    Map.of(
                            McpDemoAuth.RESOURCE,
                            "http://localhost:8080/mcp",
                            McpDemoAuth.ISSUER,
                            ISSUER,
                            McpDemoAuth.JWKS,
                            dir.resolve("missing.json").toString())
                        ::get))
        .hasMessageContaining("MCP_AUTH_JWKS")
        .hasMessageContaining("missing.json");
  }

  @Test
  void theJavaSdkClientCallsToolsWithABearerToken() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).keyID("demo-1").generate();
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
    // the public name of the endpoint (behind a proxy, say); the test reaches it on localhost
    String resource = "https://mcp.example.com" + McpDemo.PATH;
    Optional<McpAuth> auth =
        McpDemoAuth.fromEnvironment(
            Map.of(
                    McpDemoAuth.RESOURCE,
                    resource,
                    McpDemoAuth.ISSUER,
                    ISSUER,
                    McpDemoAuth.JWKS,
                    jwks.toString(),
                    McpDemoAuth.SCOPES,
                    "mcp:tools")
                ::get);
    assertThat(auth).isPresent();
    ServiceKitServer.Builder routes = ServiceKitServer.builder().port(0);
    McpDemo.routes(routes, auth);
    try (ServiceKitServer server = routes.build().start()) {
      String base = "http://localhost:" + server.port();
      // the metadata document is mounted where the challenge says
      assertThat(auth.get().metadataUrl())
          .isEqualTo("https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
      HttpResponse<String> doc =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(base + auth.get().metadataPath()))
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(doc.statusCode()).isEqualTo(200);
      JsonNode metadata = McpJson.parse(doc.body());
      assertThat(metadata.path("resource").asString()).isEqualTo(resource);
      assertThat(metadata.path("authorization_servers").get(0).asString()).isEqualTo(ISSUER);
      assertThat(metadata.path("scopes_supported").toString()).isEqualTo("[\"mcp:tools\"]");

      String token = sign(key, resource, "mcp:tools");
      List<String> seen = new CopyOnWriteArrayList<>(); // what the SDK's auth error handler saw
      McpSyncClient client = client(base, token, seen);
      try {
        McpSchema.InitializeResult init = client.initialize();
        assertThat(init.serverInfo().name()).isEqualTo("servicekit-mcp-demo");
        assertThat(client.listTools().tools()).isNotEmpty();
        McpSchema.CallToolResult r =
            client.callTool(McpSchema.CallToolRequest.builder("test_simple_text").build());
        assertThat(((McpSchema.TextContent) r.content().get(0)).text())
            .isEqualTo("This is a simple text response for testing.");
      } finally {
        client.closeGracefully();
      }
      assertThat(seen).isEmpty();
      McpSyncClient anonymous = client(base, null, seen);
      try {
        assertThatThrownBy(anonymous::initialize)
            .hasRootCauseInstanceOf(McpHttpClientTransportAuthorizationException.class);
        assertThat(seen)
            .containsExactly(
                "401 Bearer resource_metadata=\""
                    + auth.get().metadataUrl()
                    + "\", scope=\"mcp:tools\"");
      } finally {
        anonymous.closeGracefully();
      }
      seen.clear();
      McpSyncClient wrongScope = client(base, sign(key, resource, "other"), seen);
      try {
        assertThatThrownBy(wrongScope::initialize).isInstanceOf(RuntimeException.class);
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0))
            .startsWith("403 Bearer error=\"insufficient_scope\", scope=\"mcp:tools\"");
      } finally {
        wrongScope.closeGracefully();
      }
    }
  }

  @Test
  void theDocsAuthExampleRefusesAMissingToolScopeAndServesAGoodToken() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).keyID("docs-1").generate();
    String resource = "https://weather.example.com/mcp";
    McpAuth.TokenValidator validator =
        McpDemoAuth.validator(new ImmutableJWKSet<>(new JWKSet(key.toPublicJWK())), ISSUER);
    try (ServiceKitServer server =
        McpExamples.mountWithAuth(McpExamples.server(), 0, resource, validator).start()) {
      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://localhost:" + server.port() + "/mcp");
      String reader = sign(key, resource, "mcp:read");
      HttpResponse<String> init = post(http, uri, reader, null, INITIALIZE);
      assertThat(init.statusCode()).as(init.body()).isEqualTo(200);
      String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
      String call =
          "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
              + "{\"name\":\"forecast\",\"arguments\":{\"city\":\"Oslo\"}}}";
      HttpResponse<String> refused = post(http, uri, reader, session, call);
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(refused.headers().firstValue("WWW-Authenticate").orElseThrow())
          .contains("error=\"insufficient_scope\"")
          .contains("scope=\"mcp:read weather:read\"")
          .contains(
              "resource_metadata=\"https://weather.example.com/.well-known/"
                  + "oauth-protected-resource/mcp\"");
      String both = sign(key, resource, "mcp:read weather:read");
      HttpResponse<String> ok = post(http, uri, both, session, call);
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      assertThat(ok.body()).contains("Sunny in Oslo");
    }
  }

  private static final String INITIALIZE =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
          + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
          + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

  private static HttpResponse<String> post(
      HttpClient http, URI uri, String token, String session, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(WAIT)
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      b.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-11-25");
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static McpSyncClient client(String base, String token, List<String> seen) {
    HttpRequest.Builder request = HttpRequest.newBuilder();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpClientStreamableHttpTransport transport =
        HttpClientStreamableHttpTransport.builder(base)
            .endpoint(McpDemo.PATH)
            .requestBuilder(request)
            .authorizationErrorHandler(
                McpHttpClientTransportAuthorizationErrorHandler.fromSync(
                    (snapshot, info, context) -> {
                      seen.add(
                          info.statusCode()
                              + " "
                              + info.headers().firstValue("WWW-Authenticate").orElse(""));
                      return false; // no retry: this test has no OAuth flow
                    }))
            .build();
    return McpClient.sync(transport).requestTimeout(WAIT).initializationTimeout(WAIT).build();
  }

  private static String sign(RSAKey key, String audience, String scope) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .type(new JOSEObjectType("at+jwt"))
                .keyID(key.getKeyID())
                .build(),
            new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject("demo-user")
                .audience(audience)
                .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                .claim("scope", scope)
                .build());
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }
}
