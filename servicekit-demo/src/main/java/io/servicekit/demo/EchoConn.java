package io.servicekit.demo;

import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.OriginPolicy;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;

/**
 * The {@code /echo} endpoint: every text and binary message is sent back verbatim, as the same
 * frame type. It is the demo's protocol-conformance endpoint, so it behaves like a plain RFC 6455
 * echo server:
 *
 * <ul>
 *   <li>no application heartbeat: a conformance client must not receive unsolicited JSON pings
 *       (liveness comes from protocol pings, answered by the transport, and the idle timeout);
 *   <li>client {@code {"type":"pong"}} texts are echoed like any other text ({@link
 *       WsConfig#absorbPongs()} is off);
 *   <li>messages up to {@link #MAX_MESSAGE_SIZE} (16 MiB); a bigger one closes with 1009;
 *   <li>every origin may connect ({@link OriginPolicy#allowAll()});
 *   <li>permessage-deflate is negotiated when the client offers it ({@link
 *       WsConfig#compression()}), the limit applying to the inflated size.
 * </ul>
 */
public final class EchoConn implements WsListener<Message, Message> {
  @Override
  public Codec<Message, Message> codec() {
    return Codec.raw();
  }

  @Override
  public String name() {
    return "Echo";
  }

  /** Largest message echoed: 16 MiB. */
  public static final long MAX_MESSAGE_SIZE = 16L << 20;

  /** The endpoint configuration described in the class comment. */
  public static final WsConfig CONFIG =
      WsConfig.builder()
          .maxMessageSize(MAX_MESSAGE_SIZE)
          // Room for one maximal echo in flight plus one being queued.
          .maxQueuedBytes(2 * MAX_MESSAGE_SIZE)
          .readBufferSize(16 * 1024)
          .writeBufferSize(16 * 1024)
          .originPolicy(OriginPolicy.allowAll())
          .absorbPongs(false)
          // permessage-deflate when the client offers it (the library default is off), so the
          // Node ws and browser checks exercise compression; context takeover on both ways.
          .compression(true)
          .build();

  /** A new echo connection. */
  public EchoConn() {}

  @Override
  public void onMessage(WsSession<Message> session, Message message) {
    session.send(message);
  }

  /** No JSON heartbeat on the conformance endpoint (see the class comment). */
  @Override
  public void onHeartbeat(WsSession<Message> session, long pingId) {}
}
