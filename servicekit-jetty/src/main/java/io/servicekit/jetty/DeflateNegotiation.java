package io.servicekit.jetty;

import io.servicekit.WsConfig;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.websocket.api.ExtensionConfig;
import org.jspecify.annotations.Nullable;

/**
 * Chooses the permessage-deflate answer (RFC 7692 §7.1) from the client's offers, for a route whose
 * {@link WsConfig#compression()} is on.
 *
 * <p>Jetty's {@code PerMessageDeflateExtension} compresses with {@code java.util.zip}, whose window
 * is always 15 bits, and drops both window-bits parameters from its answer. Left alone it would
 * also accept an offer that demands {@code server_max_window_bits=10} and then send data the client
 * cannot inflate, and answer an offer with an unknown parameter with 400. So the offers are checked
 * here first: the first one the server can honour is answered, the others are declined (RFC 7692
 * §5: the connection then proceeds uncompressed):
 *
 * <ul>
 *   <li>{@code server_no_context_takeover}, {@code client_no_context_takeover}: no value; accepted
 *       and echoed;
 *   <li>{@code server_max_window_bits}: a value 8..15 is required (else the offer is invalid); only
 *       15 can be honoured;
 *   <li>{@code client_max_window_bits}: no value or 8..15; the server's inflater takes any window,
 *       so it is accepted and not answered (the client then uses up to 15 bits, as allowed);
 *   <li>any other parameter: the offer is declined.
 * </ul>
 */
final class DeflateNegotiation {
  static final String NAME = "permessage-deflate";
  static final String SERVER_NO_CONTEXT_TAKEOVER = "server_no_context_takeover";
  static final String CLIENT_NO_CONTEXT_TAKEOVER = "client_no_context_takeover";
  static final String SERVER_MAX_WINDOW_BITS = "server_max_window_bits";
  static final String CLIENT_MAX_WINDOW_BITS = "client_max_window_bits";

  private DeflateNegotiation() {}

  /** The answer to {@code offers}, or null to decline them all (the reasons go to {@code why}). */
  static @Nullable ExtensionConfig answer(
      List<ExtensionConfig> offers, WsConfig config, StringBuilder why) {
    for (ExtensionConfig offer : offers) {
      if (!offer.getName().equalsIgnoreCase(NAME)) {
        continue;
      }
      String problem = problem(offer);
      if (problem != null) {
        if (!why.isEmpty()) {
          why.append("; ");
        }
        why.append('"').append(offer.getParameterizedName()).append("\": ").append(problem);
        continue;
      }
      // Built from text and never mutated: Jetty may hand out one cached instance per value.
      StringBuilder answer = new StringBuilder(NAME);
      Map<String, String> p = offer.getParameters();
      if (config.serverNoContextTakeover() || p.containsKey(SERVER_NO_CONTEXT_TAKEOVER)) {
        answer.append(';').append(SERVER_NO_CONTEXT_TAKEOVER);
      }
      if (config.clientNoContextTakeover() || p.containsKey(CLIENT_NO_CONTEXT_TAKEOVER)) {
        answer.append(';').append(CLIENT_NO_CONTEXT_TAKEOVER);
      }
      return ExtensionConfig.parse(answer.toString());
    }
    return null;
  }

  /** Why the server cannot accept {@code offer}, or null if it can. */
  static @Nullable String problem(ExtensionConfig offer) {
    for (Map.Entry<String, String> e : offer.getParameters().entrySet()) {
      String key = e.getKey().trim();
      String value = e.getValue();
      switch (key) {
        case SERVER_NO_CONTEXT_TAKEOVER, CLIENT_NO_CONTEXT_TAKEOVER -> {
          if (value != null) {
            return key + " takes no value, got " + value;
          }
        }
        case SERVER_MAX_WINDOW_BITS -> {
          Integer bits = windowBits(value);
          if (bits == null) {
            return key + " must be 8..15, got " + value;
          }
          if (bits != 15) {
            return key + "=" + bits + " cannot be honoured (the deflater's window is 15 bits)";
          }
        }
        case CLIENT_MAX_WINDOW_BITS -> {
          if (value != null && windowBits(value) == null) {
            return key + " must be empty or 8..15, got " + value;
          }
        }
        default -> {
          return "unknown parameter " + key;
        }
      }
    }
    return null;
  }

  private static @Nullable Integer windowBits(@Nullable String value) {
    if (value == null
        || value.isEmpty()
        || value.length() > 2
        || !value.chars().allMatch(Character::isDigit)) {
      return null;
    }
    int bits = Integer.parseInt(value);
    return bits >= 8 && bits <= 15 ? bits : null;
  }
}
