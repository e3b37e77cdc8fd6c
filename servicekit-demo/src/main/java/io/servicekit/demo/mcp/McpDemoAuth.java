package io.servicekit.demo.mcp;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.servicekit.mcp.McpAuth;
import java.io.File;
import java.net.URI;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Opt-in OAuth authorization for the demo's {@code /mcp} ({@link McpAuth}), configured from the
 * environment; off unless {@value #RESOURCE} is set.
 *
 * <table>
 * <caption>Settings</caption>
 * <tr><th>variable</th><th>meaning</th></tr>
 * <tr><td>{@value #RESOURCE}</td><td>the canonical URI of the endpoint, e.g. {@code https://mcp.example.com/mcp}: turns authorization on</td></tr>
 * <tr><td>{@value #ISSUER}</td><td>the authorization server's issuer (required); tokens must name it in {@code iss}</td></tr>
 * <tr><td>{@value #JWKS}</td><td>its public keys: an {@code https://} JWK Set URL, or a JWK Set file (required)</td></tr>
 * <tr><td>{@value #SCOPES}</td><td>scopes every request needs, space-separated (optional)</td></tr>
 * </table>
 *
 * <p>Tokens are JWTs (RS256 or ES256, {@code typ} {@code at+jwt} or {@code JWT}) with {@code sub}
 * and {@code exp}; {@code aud} must name the resource, and {@code scope} (a string) or {@code scp}
 * (a list) holds the scopes.
 */
public final class McpDemoAuth {
  /** The resource identifier; authorization is on when set. */
  public static final String RESOURCE = "MCP_AUTH_RESOURCE";

  /** The authorization server's issuer. */
  public static final String ISSUER = "MCP_AUTH_ISSUER";

  /** The authorization server's JWK Set: an https URL or a file. */
  public static final String JWKS = "MCP_AUTH_JWKS";

  /** Scopes every request needs, space-separated. */
  public static final String SCOPES = "MCP_AUTH_SCOPES";

  private McpDemoAuth() {}

  /**
   * The configuration {@code env} describes, or empty when {@value #RESOURCE} is unset.
   *
   * @throws IllegalArgumentException naming the variable for a missing or bad setting
   */
  public static Optional<McpAuth> fromEnvironment(Function<String, String> env) {
    String resource = value(env, RESOURCE);
    if (resource == null) {
      return Optional.empty();
    }
    String issuer = value(env, ISSUER);
    String jwks = value(env, JWKS);
    if (issuer == null || jwks == null) {
      throw new IllegalArgumentException(
          RESOURCE + " is set, so " + ISSUER + " and " + JWKS + " are required too");
    }
    try {
      McpAuth.Builder b =
          McpAuth.builder(resource)
              .authorizationServer(issuer)
              .validator(validator(keys(jwks), issuer))
              .resourceName("ServiceKit demo MCP server");
      String scopes = value(env, SCOPES);
      if (scopes != null) {
        b.requiredScopes(scopes.split("\\s+"));
      }
      return Optional.of(b.build());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("MCP_AUTH_*: " + e.getMessage(), e);
    }
  }

  private static String value(Function<String, String> env, String name) {
    String v = env.apply(name);
    return v == null || v.isBlank() ? null : v.strip();
  }

  private static JWKSource<SecurityContext> keys(String jwks) {
    try {
      if (jwks.startsWith("https://") || jwks.startsWith("http://")) {
        return JWKSourceBuilder.create(URI.create(jwks).toURL()).build(); // cached, refreshed
      }
      return new ImmutableJWKSet<>(JWKSet.load(new File(jwks)));
    } catch (Exception e) {
      throw new IllegalArgumentException(JWKS + ": cannot load " + jwks + ": " + e.getMessage(), e);
    }
  }

  /**
   * A JWT access-token validator: signature by {@code keys}, {@code iss}, {@code sub}, {@code exp}.
   */
  static McpAuth.TokenValidator validator(JWKSource<SecurityContext> keys, String issuer) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSTypeVerifier(
        new DefaultJOSEObjectTypeVerifier<>(
            new JOSEObjectType("at+jwt"), JOSEObjectType.JWT, null));
    p.setJWSKeySelector(
        new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), keys));
    p.setJWTClaimsSetVerifier(
        new DefaultJWTClaimsVerifier<>(
            new JWTClaimsSet.Builder().issuer(issuer).build(),
            new HashSet<>(List.of("sub", "exp", "aud"))));
    return token -> {
      JWTClaimsSet c;
      try {
        c = p.process(token, null);
      } catch (Exception e) {
        throw new McpAuth.InvalidTokenException("the token was not accepted: " + e.getMessage());
      }
      Set<String> scopes = new LinkedHashSet<>();
      Object scope = c.getClaim("scope");
      Object scp = c.getClaim("scp");
      if (scope instanceof String s) {
        for (String one : s.trim().split("\\s+")) {
          if (!one.isEmpty()) {
            scopes.add(one);
          }
        }
      } else if (scp instanceof List<?> list) {
        list.forEach(o -> scopes.add(String.valueOf(o)));
      }
      return new McpAuth.AccessToken(
          c.getSubject(),
          scopes,
          new LinkedHashSet<>(c.getAudience()),
          Optional.ofNullable(c.getIssuer()),
          Optional.ofNullable(c.getExpirationTime()).map(Date::toInstant));
    };
  }
}
