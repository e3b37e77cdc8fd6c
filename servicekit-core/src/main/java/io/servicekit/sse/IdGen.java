package io.servicekit.sse;

/**
 * Generates event ids. Ids are opaque strings; they must not contain CR, LF or NUL and must be
 * unique within the streams that share a generator. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface IdGen {
  /** The next id. */
  String next();
}
