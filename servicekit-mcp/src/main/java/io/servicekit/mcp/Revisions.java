package io.servicekit.mcp;

import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamableRequest;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** The protocol revisions served and the revision of a request. */
final class Revisions {
  private Revisions() {}

  /** The supported version {@code initialize} agrees on for {@code requested}. */
  static String negotiate(String requested) {
    return McpEndpoint.SUPPORTED_VERSIONS.contains(requested)
        ? requested
        : McpEndpoint.SUPPORTED_VERSIONS.get(0);
  }

  /**
   * The request's protocol version: its {@code MCP-Protocol-Version} header, else {@code
   * sessionVersion} (the one {@code initialize} negotiated), else the default; or a 400 answer for
   * an unsupported header value.
   */
  static VersionOrError of(StreamableRequest request, @Nullable String sessionVersion) {
    Optional<String> header = request.header(McpEndpoint.VERSION_HEADER).map(String::trim);
    if (header.isPresent()) {
      if (!McpEndpoint.SUPPORTED_VERSIONS.contains(header.get())) {
        return new VersionOrError.Refused(
            HttpFront.error(
                400,
                McpError.SERVER_ERROR,
                "Bad Request: Unsupported protocol version "
                    + HttpFront.abbreviate(header.get())
                    + " (supported: "
                    + String.join(", ", McpEndpoint.SUPPORTED_VERSIONS)
                    + ")"));
      }
      return new VersionOrError.Found(header.get());
    }
    return new VersionOrError.Found(
        sessionVersion != null ? sessionVersion : McpEndpoint.DEFAULT_VERSION);
  }

  /** A version, or the answer refusing the request. */
  sealed interface VersionOrError {
    /** The request's protocol version. */
    record Found(String version) implements VersionOrError {}

    /** The answer refusing the request. */
    record Refused(SingleResponse error) implements VersionOrError {}
  }

  /** Whether {@code version} accepts JSON-RPC batches (2025-03-26 only). */
  static boolean acceptsBatches(String version) {
    return version.equals("2025-03-26");
  }

  /** Whether clients of {@code version} get a priming event and retry hints (2025-11-25 on). */
  static boolean primes(String version) {
    return version.compareTo("2025-11-25") >= 0;
  }
}
