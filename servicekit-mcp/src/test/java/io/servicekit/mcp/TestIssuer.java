package io.servicekit.mcp;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.node.ObjectNode;

/**
 * A tiny OAuth authorization server for tests: an RSA key pair made at construction, RS256 access
 * tokens (RFC 9068 {@code at+jwt}) signed with the JDK's {@link Signature}, and a {@link
 * McpAuth.TokenValidator} that verifies them with nimbus-jose-jwt (an independent implementation):
 * signature against the issuer's public key, {@code typ}, {@code exp}, {@code sub}.
 */
final class TestIssuer {
  final String issuer;
  private final KeyPair keys;
  private final String kid;

  TestIssuer(String issuer) throws Exception {
    this.issuer = issuer;
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    this.keys = g.generateKeyPair();
    this.kid = "k1"; // the same key id for every instance: another instance is a forger
  }

  /**
   * A token of {@code subject} for {@code audience} with {@code scopes}, valid until {@code exp}.
   */
  String token(String subject, String audience, String scopes, Instant exp) throws Exception {
    ObjectNode claims =
        McpJson.object()
            .put("iss", issuer)
            .put("sub", subject)
            .put("aud", audience)
            .put("iat", Instant.now().getEpochSecond())
            .put("exp", exp.getEpochSecond())
            .put("client_id", "test-client")
            .put("jti", Long.toHexString(System.nanoTime()));
    if (scopes != null) {
      claims.put("scope", scopes);
    }
    return sign(claims);
  }

  /** {@code claims} as a signed JWT. */
  String sign(ObjectNode claims) throws Exception {
    ObjectNode header = McpJson.object().put("alg", "RS256").put("typ", "at+jwt").put("kid", kid);
    String input = b64(header.toString()) + "." + b64(claims.toString());
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(keys.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** A validator trusting this issuer's key only. */
  McpAuth.TokenValidator validator() {
    RSAKey jwk = new RSAKey.Builder((RSAPublicKey) keys.getPublic()).keyID(kid).build();
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
    p.setJWSKeySelector(
        new JWSVerificationKeySelector<>(
            JWSAlgorithm.RS256, new ImmutableJWKSet<>(new JWKSet(jwk))));
    // sub and exp required; iss and aud are left to McpAuth (its issuer and audience checks)
    p.setJWTClaimsSetVerifier(
        new DefaultJWTClaimsVerifier<>(null, new HashSet<>(List.of("sub", "exp"))));
    return token -> {
      JWTClaimsSet c;
      try {
        c = p.process(token, null);
      } catch (Exception e) {
        throw new McpAuth.InvalidTokenException("the token was not accepted: " + e.getMessage(), e);
      }
      String scope;
      try {
        scope = c.getStringClaim("scope");
      } catch (java.text.ParseException e) {
        throw new McpAuth.InvalidTokenException("the scope claim is not a string");
      }
      Set<String> scopes = new LinkedHashSet<>();
      if (scope != null) {
        scopes.addAll(List.of(scope.trim().split(" +")));
        scopes.remove("");
      }
      return new McpAuth.AccessToken(
          c.getSubject(),
          scopes,
          new LinkedHashSet<>(c.getAudience()),
          Optional.ofNullable(c.getIssuer()),
          Optional.ofNullable(c.getExpirationTime()).map(java.util.Date::toInstant));
    };
  }
}
