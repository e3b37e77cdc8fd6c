package io.servicekit.jetty.middleware;

import io.servicekit.internal.Check;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * A health endpoint with upstream's bodies: <b>200</b> {@code {"status":"ok"}} or, when the
 * readiness check says no, <b>503</b> {@code {"status":"not ready"}}; {@code Content-Type:
 * application/json}, no trailing newline. GET and HEAD are answered (upstream refused HEAD: W-83);
 * other methods get 405 with {@code Allow: GET, HEAD} and a JSON error naming the method. A request
 * for another path than the configured one is not handled (upstream ignored its own path: W-83).
 *
 * <p>Mount it outside the {@link Guard} so probes skip rate limits and logging: {@code
 * builder.health(HealthCheck.liveness())} or {@code builder.route(hc.path(), hc)}. For a liveness /
 * readiness split, mount {@link #liveness()} ({@code /healthz}, always ok while the process serves)
 * and {@link #readiness(BooleanSupplier)} ({@code /readyz}).
 */
public final class HealthCheck extends Handler.Abstract {
  private static final byte[] OK = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] NOT_READY =
      "{\"status\":\"not ready\"}".getBytes(StandardCharsets.UTF_8);

  private final String path;
  private final @Nullable BooleanSupplier ready;

  private HealthCheck(Builder b) {
    super(InvocationType.NON_BLOCKING);
    this.path = b.path;
    this.ready = b.ready;
  }

  /** {@code /healthz}, always ok (upstream {@code NewHealthCheck()}). */
  public static HealthCheck liveness() {
    return builder().build();
  }

  /** {@code /readyz}, ok only while {@code ready} says so. */
  public static HealthCheck readiness(BooleanSupplier ready) {
    return builder().path("/readyz").readiness(ready).build();
  }

  /** A builder for a check at {@code /healthz}, always ok unless given a readiness function. */
  public static Builder builder() {
    return new Builder();
  }

  /** The path to mount it at. */
  public String path() {
    return path;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    if (!path.equals(request.getHttpURI().getDecodedPath())) {
      return false;
    }
    boolean head = HttpMethod.HEAD.is(request.getMethod());
    if (!head && !HttpMethod.GET.is(request.getMethod())) {
      response.setStatus(405);
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      String body =
          "{\"error\":\"method must be GET or HEAD, was "
              + request.getMethod().replaceAll("[^A-Za-z0-9_-]", "?")
              + "\"}\n";
      response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
      return true;
    }
    boolean ok;
    try {
      ok = ready == null || ready.getAsBoolean();
    } catch (RuntimeException e) {
      ok = false;
    }
    byte[] body = ok ? OK : NOT_READY;
    response.setStatus(ok ? 200 : 503);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, head ? null : ByteBuffer.wrap(body), callback);
    return true;
  }

  /** Builds a {@link HealthCheck}; each setter refuses a bad value at once. */
  public static final class Builder {
    private String path = "/healthz";
    private @Nullable BooleanSupplier ready;

    private Builder() {}

    /**
     * The path it answers (default {@code /healthz}; upstream {@code WithPath}); starts with '/'.
     */
    public Builder path(String v) {
      Objects.requireNonNull(v, "path");
      if (!v.startsWith("/")) {
        throw Check.fail("path", "must start with '/'", "\"" + v + "\"");
      }
      path = v;
      return this;
    }

    /** Ok only while {@code v} says so (default: always ok; upstream {@code WithReadyFunc}). */
    public Builder readiness(BooleanSupplier v) {
      ready = Objects.requireNonNull(v, "readiness");
      return this;
    }

    public HealthCheck build() {
      return new HealthCheck(this);
    }
  }
}
