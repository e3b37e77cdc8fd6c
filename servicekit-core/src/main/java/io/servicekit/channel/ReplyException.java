package io.servicekit.channel;

import io.servicekit.ServiceKitException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request over a channel connection was answered with an error, or could not be answered: the
 * {@link #code()} is the wire code of the {@code reply} envelope (docs/channels.md) and the message
 * is its text for people.
 *
 * <p>An application's request handler throws it to answer with a chosen code; anything else it
 * throws is answered with {@link #INTERNAL}.
 */
public final class ReplyException extends ServiceKitException {
  private static final long serialVersionUID = 1L;

  /** A field is missing or invalid; the text names it and the value. */
  public static final String BAD_REQUEST = "bad_request";

  /** The application's policy refused. */
  public static final String FORBIDDEN = "forbidden";

  /** The connection is not subscribed to the channel. */
  public static final String NOT_SUBSCRIBED = "not_subscribed";

  /** A bound was reached (subscriptions per connection, members per channel, pending requests). */
  public static final String LIMIT = "limit";

  /** The history or broker could not be reached; the request may be retried. */
  public static final String UNAVAILABLE = "unavailable";

  /** No reply came in time. */
  public static final String TIMEOUT = "timeout";

  /** The handler failed. */
  public static final String INTERNAL = "internal";

  /** Longest accepted code. */
  public static final int MAX_CODE_LENGTH = 64;

  private final String code;

  /**
   * An error with a wire code and a text.
   *
   * @param code one of the constants of this class, or an application's own code: 1 to {@value
   *     #MAX_CODE_LENGTH} characters of {@code [a-z0-9_]}
   * @param message the text for people; null for the code itself (e.g. from a message-less
   *     exception, so that the reply still goes out)
   * @throws IllegalArgumentException if {@code code} breaks that rule, naming the value
   */
  public ReplyException(String code, @Nullable String message) {
    this(code, message, null);
  }

  /**
   * An error with a wire code, a text and a cause.
   *
   * @param code see {@link #ReplyException(String, String)}
   * @param message the text for people, or null for the code itself
   * @param cause what failed, or {@code null}
   * @throws IllegalArgumentException if {@code code} is not valid, naming the value
   */
  public ReplyException(String code, @Nullable String message, @Nullable Throwable cause) {
    super(message != null ? message : String.valueOf(code), cause);

    this.code = checkCode(code);
  }

  /** The wire code, e.g. {@code "timeout"}. */
  public String code() {
    return code;
  }

  /**
   * Checks a reply error code: 1 to {@value #MAX_CODE_LENGTH} characters of {@code [a-z0-9_]}.
   *
   * @return {@code code}
   * @throws IllegalArgumentException naming the rule and the value
   */
  public static String checkCode(String code) {
    Objects.requireNonNull(code, "code");
    boolean ok = !code.isEmpty() && code.length() <= MAX_CODE_LENGTH;
    for (int i = 0; ok && i < code.length(); i++) {
      char c = code.charAt(i);
      ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "reply code must be 1-"
              + MAX_CODE_LENGTH
              + " characters of [a-z0-9_], was \""
              + (code.length() > 64 ? code.substring(0, 64) + "..." : code)
              + "\"");
    }
    return code;
  }
}
