package io.servicekit.examples;

import io.servicekit.OriginPolicy;
import io.servicekit.WsConfig;
import io.servicekit.jetty.ServiceKitServer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * README "Configuration" in Java: "Custom Configuration" ({@link #customConfig()}) and
 * "Environment-specific Configurations" ({@link #forEnvironment(String)}).
 *
 * <pre>{@code
 * WsConfig config = ConfigExamples.forEnvironment(System.getenv("ENV"));
 * ServiceKitServer.builder().ws("/ws", handler, config)...
 * }</pre>
 *
 * <p>What differs from the Go samples, and why:
 *
 * <ul>
 *   <li>{@link WsConfig#builder()} replaces struct literals: it validates when built (Go panics at
 *       the first ticker on a zero period or a missing {@code BiDirStreamConfig}) and starts from
 *       secure defaults.
 *   <li>{@code CheckOrigin} functions become {@link OriginPolicy#sameOriginOr(String...)}. Go's
 *       {@code origin == "https://yourdomain.com"} also refuses the site's own host when it is
 *       served under another name, and every non-browser client (they send no {@code Origin}); the
 *       policy accepts same-origin pages and clients without an {@code Origin}, and answers a
 *       refused origin with 403 before the upgrade.
 *   <li>The development configuration keeps the same-origin check. Go's development branch keeps
 *       {@code DefaultWSConnConfig}'s {@code CheckOrigin}, which accepts every origin (cross-site
 *       WebSocket hijacking); a cross-origin development front end can be added with {@code
 *       sameOriginOr("http://localhost:3000")}.
 *   <li>The environment is a parameter rather than {@code os.Getenv} inside the function, so it is
 *       testable. Go treats every value but {@code "production"} as development, so a typo such as
 *       {@code ENV=prod} silently runs production with lenient settings; here an unknown name is an
 *       error, and only an unset (null or blank) name means development.
 * </ul>
 */
public final class ConfigExamples {
  /** The origins allowed in production besides the server's own. */
  public static final List<String> PRODUCTION_ORIGINS =
      List.of("https://yourdomain.com", "https://app.yourdomain.com");

  private ConfigExamples() {}

  /**
   * The README's "Custom Configuration": ping every 25 s, time out after 5 minutes of silence, 4
   * KiB buffers, and browser pages from {@code https://yourdomain.com} (or the same origin) only.
   */
  public static WsConfig customConfig() {
    return WsConfig.builder()
        .pingPeriod(Duration.ofSeconds(25))
        .pongPeriod(Duration.ofSeconds(300))
        .readBufferSize(4096)
        .writeBufferSize(4096)
        .originPolicy(OriginPolicy.sameOriginOr("https://yourdomain.com"))
        .build();
  }

  /**
   * The README's {@code getWSConfig()}: production pings every 30 s, times out after 60 s and
   * accepts only {@link #PRODUCTION_ORIGINS} (and the same origin); development pings every 10 s
   * and times out after 30 s.
   *
   * @param environment {@code production} or {@code development} (case-insensitive); null or blank
   *     means development
   * @throws IllegalArgumentException for any other name
   */
  public static WsConfig forEnvironment(String environment) {
    String env =
        environment == null || environment.isBlank()
            ? "development"
            : environment.trim().toLowerCase(Locale.ROOT);
    WsConfig.Builder config = WsConfig.defaults().toBuilder();
    switch (env) {
      case "production" ->
          config
              .pingPeriod(Duration.ofSeconds(30))
              .pongPeriod(Duration.ofSeconds(60))
              .originPolicy(OriginPolicy.sameOriginOr(PRODUCTION_ORIGINS.toArray(String[]::new)));
      case "development" ->
          config.pingPeriod(Duration.ofSeconds(10)).pongPeriod(Duration.ofSeconds(30));
      default ->
          throw new IllegalArgumentException(
              "unknown environment '" + environment + "': expected production or development");
    }
    return config.build();
  }

  /** {@link #forEnvironment} with the {@code ENV} environment variable. */
  public static WsConfig fromEnv() {
    return forEnvironment(System.getenv("ENV"));
  }

  /**
   * The README's {@code r.HandleFunc("/ws", gohttp.WSServe(handler, config))}: an echo endpoint at
   * {@code /ws} with {@code config}; not started.
   */
  public static ServiceKitServer server(int port, WsConfig config) {
    return ServiceKitServer.builder().port(port).ws("/ws", EchoExample.handler(), config).build();
  }
}
