package io.servicekit.demo;

import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.channel.ChannelHistory;
import io.servicekit.channel.Channels;
import io.servicekit.channel.MemoryChannelHistory;
import io.servicekit.channel.Presence;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.redis.RedisChannelHistory;
import java.util.regex.Pattern;

/**
 * The channels demo (docs/channels.md, "Demo"): {@code /ws/channels?user=<name>} (the channel
 * protocol; the name, 1-32 characters of {@code [A-Za-z0-9_-]}, is the presence identity) and
 * {@code /channels/sse?channel=<name>} (the SSE stream of one channel); the page {@code
 * /channels.html} is served by {@link StaticPageHandler}.
 *
 * <p>On one process the history and the presence are in memory. With a {@link DemoCluster} ({@code
 * SERVICEKIT_BROKER}) every process shares a {@link RedisChannelHistory} on the cluster's Redis,
 * fans live publications out through the cluster's broker and keeps presence cluster-wide through
 * the same broker: a client recovers its position on any process.
 */
public final class ChannelsDemo implements AutoCloseable {
  /** The WebSocket path. */
  public static final String PATH = "/ws/channels";

  /** The SSE path. */
  public static final String SSE_PATH = "/channels/sse";

  private static final Pattern USER = Pattern.compile("[A-Za-z0-9_-]{1,32}");

  private final Channels channels;
  private final Presence presence;
  private final ChannelHistory history;

  /**
   * The demo's channels, on {@code cluster} if not null (null: one process).
   *
   * @throws io.servicekit.redis.RedisUnavailableException if the cluster's Redis cannot be reached
   */
  public ChannelsDemo(DemoCluster cluster) {
    Channels.Builder b = Channels.builder().identity(ChannelsDemo::identity);
    if (cluster == null) {
      history = MemoryChannelHistory.builder().build();
      presence = Presence.local();
    } else {
      history =
          RedisChannelHistory.builder(cluster.uri())
              .prefix(DemoCluster.PREFIX + "channel:")
              .build();
      presence =
          Presence.builder().broker(cluster.broker(), DemoCluster.PREFIX + "presence").build();
      b.broker(cluster.broker(), DemoCluster.PREFIX + "channels");
    }
    channels = b.history(history).presence(presence).build();
  }

  /**
   * The {@code user} query parameter, validated.
   *
   * @throws Rejection 400 naming the parameter, the rule and the value
   */
  static String user(Request request) throws Rejection {
    String user = request.queryParam("user").orElse(null);
    if (user == null || !USER.matcher(user).matches()) {
      throw Rejection.of(
          400,
          "query parameter user must be 1-32 characters of [A-Za-z0-9_-], got "
              + (user == null ? "none" : "\"" + user + "\""));
    }
    return user;
  }

  /**
   * The channel server's identity: the validated {@code user} of a WebSocket ({@link #wsHandler}
   * refused any other before the upgrade); an SSE reader, which gives no name, is "anonymous".
   */
  private static String identity(Request request) {
    return request.queryParam("user").filter(u -> USER.matcher(u).matches()).orElse("anonymous");
  }

  /** The WebSocket handler: 400 for a bad user, then the channel protocol. */
  WsHandler<Object, Object> wsHandler() {
    WsHandler<Object, Object> inner = channels.wsHandler();
    return request -> {
      user(request); // 400 before the upgrade
      return inner.accept(request);
    };
  }

  /** Adds {@code /ws/channels} and {@code /channels/sse} to {@code builder}. */
  public ServiceKitServer.Builder routes(ServiceKitServer.Builder builder, WsConfig config) {
    return builder
        .ws(PATH, wsHandler(), config)
        .sse(
            SSE_PATH,
            channels.sseHandler(
                request ->
                    request
                        .queryParam("channel")
                        .orElseThrow(
                            () -> Rejection.of(400, "query parameter channel is missing"))));
  }

  /** The channel server (publish from the server, stats, members). */
  public Channels channels() {
    return channels;
  }

  @Override
  public void close() {
    try {
      channels.close();
      presence.close();
    } finally {
      history.close();
    }
  }
}
