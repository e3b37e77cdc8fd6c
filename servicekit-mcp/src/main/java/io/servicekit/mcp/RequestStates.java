package io.servicekit.mcp;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code requestState} of a 2026-07-28 {@code input_required} result: the answers of earlier
 * rounds, bound to the request they belong to and sealed with HMAC-SHA256, so the client carries
 * them without being able to read meaningfully, change or reuse them elsewhere.
 *
 * <p>Format: {@code base64url(payload) "." base64url(HMAC-SHA256(key, payload))}, payload a JSON
 * object {@code {"v":1,"b":<binding digest>,"exp":<epoch ms>,"a":{key: answer...}}}. The binding
 * digest covers the method, the tool/prompt/resource, the canonical form of the request's params
 * (without {@code _meta}, {@code inputResponses} and {@code requestState}) and the authenticated
 * subject, so a state replayed for another call, another user or after {@code exp} is refused. A
 * state may be resent for the same call until it expires: a client that lost an answer retries, and
 * the handler sees the same answers again.
 */
final class RequestStates {
  /** The longest state accepted or produced, in characters. */
  static final int MAX_CHARS = 64 * 1024;

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final SecretKeySpec key;
  private final Duration ttl;
  private final LongSupplier clock;

  RequestStates(byte[] key, Duration ttl, LongSupplier epochMillis) {
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    this.ttl = ttl;
    this.clock = epochMillis;
  }

  /** A random 256-bit key (per transport unless the application sets one). */
  static byte[] randomKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return k;
  }

  /** The binding digest of a call: method, target, canonical params, subject. */
  static String binding(String method, JsonNode params, @Nullable String subject) {
    ObjectNode p = params != null && params.isObject() ? ((ObjectNode) params).deepCopy() : null;
    if (p != null) {
      p.remove(List.of("_meta", "inputResponses", "requestState"));
    }
    String text =
        method
            + "\n"
            + (p == null ? "null" : canonical(p))
            + "\n"
            + (subject == null ? "" : subject);
    try {
      return B64.encodeToString(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** Seals {@code answers} for the call with {@code binding}. */
  String seal(String binding, ObjectNode answers) {
    ObjectNode payload = McpJson.object().put("v", 1).put("b", binding);
    payload.put("exp", clock.getAsLong() + ttl.toMillis());
    payload.set("a", answers);
    byte[] bytes = payload.toString().getBytes(StandardCharsets.UTF_8);
    String out = B64.encodeToString(bytes) + "." + B64.encodeToString(mac(bytes));
    if (out.length() > MAX_CHARS) {
      throw new McpError(
          McpError.INTERNAL_ERROR,
          "the answers collected so far need a requestState of "
              + out.length()
              + " characters, over the limit of "
              + MAX_CHARS);
    }
    return out;
  }

  /**
   * The answers sealed in {@code state} for the call with {@code binding}.
   *
   * @throws McpError -32602 naming the problem: not a string, too long, malformed, failed integrity
   *     check, expired, or issued for another call
   */
  ObjectNode open(JsonNode state, String binding) {
    if (!state.isString()) {
      throw invalid("requestState must be a string, got " + HttpFront.abbreviate(state));
    }
    String s = state.asString();
    if (s.length() > MAX_CHARS) {
      throw invalid(
          "requestState is " + s.length() + " characters, over the limit of " + MAX_CHARS);
    }
    int dot = s.indexOf('.');
    byte[] payload;
    byte[] tag;
    try {
      payload = B64D.decode(s.substring(0, Math.max(dot, 0)));
      tag = B64D.decode(s.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw invalid("requestState is malformed (not issued by this server)");
    }
    if (dot <= 0 || !MessageDigest.isEqual(tag, mac(payload))) {
      throw invalid(
          "requestState failed its integrity check (altered, or not issued by this server)");
    }
    JsonNode p = McpJson.MAPPER.readTree(payload);
    if (!binding.equals(p.path("b").asString(""))) {
      throw invalid(
          "requestState was issued for another request (method, arguments or user differ)");
    }
    if (p.path("exp").asLong(0) < clock.getAsLong()) {
      throw invalid("requestState has expired (valid for " + ttl + "); call again without it");
    }
    JsonNode a = p.path("a");
    return a.isObject() ? (ObjectNode) a : McpJson.object();
  }

  private byte[] mac(byte[] data) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(key);
      return m.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static McpError invalid(String message) {
    return new McpError(McpError.INVALID_PARAMS, message);
  }

  /** JSON text with the members of every object sorted by name (a stable form to digest). */
  static String canonical(JsonNode node) {
    StringBuilder out = new StringBuilder();
    canonical(node, out);
    return out.toString();
  }

  private static void canonical(JsonNode node, StringBuilder out) {
    if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> members = new ArrayList<>(node.properties());
      members.sort(Map.Entry.comparingByKey());
      out.append('{');
      for (int i = 0; i < members.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        out.append(McpJson.MAPPER.getNodeFactory().stringNode(members.get(i).getKey()));
        out.append(':');
        canonical(members.get(i).getValue(), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        canonical(node.get(i), out);
      }
      out.append(']');
    } else {
      out.append(node);
    }
  }
}
