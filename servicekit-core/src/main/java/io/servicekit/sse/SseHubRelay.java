package io.servicekit.sse;

import io.servicekit.Codec;
import io.servicekit.Ids;
import io.servicekit.broker.Broker;
import io.servicekit.internal.BrokerEnvelope;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Carries one {@link SseHub}'s broadcasts and targeted sends over a {@link Broker}. */
final class SseHubRelay<O> implements Broker.Subscription {
  private static final Logger LOG = LoggerFactory.getLogger(SseHubRelay.class);

  static final byte ALL = 1;
  static final byte SEND = 3;

  private final SseHub<O> hub;
  private final Broker broker;
  private final String topic;
  private final Codec<?, O> codec;
  private final String nodeId = Ids.random();
  private final Broker.Subscription subscription;

  SseHubRelay(SseHub<O> hub, Broker broker, String topic, Codec<?, O> codec) {
    this.hub = hub;
    this.broker = Objects.requireNonNull(broker, "broker");
    this.topic = Broker.checkTopicPrefix("hub topic", topic);
    this.codec = Objects.requireNonNull(codec, "codec");
    this.subscription = broker.subscribePattern(topic + ".*", this::onMessage);
  }

  String nodeId() {
    return nodeId;
  }

  /** Encodes and size-checks, before anything is delivered locally. */
  byte[] serialize(byte kind, String target, String event, String id, O message) {
    SseEvent e = SseEvent.encode(codec, event, id, message);
    byte[] bytes =
        new BrokerEnvelope(
                nodeId,
                kind,
                target,
                null,
                e.event(),
                e.id(),
                false,
                e.data().getBytes(StandardCharsets.UTF_8))
            .toBytes();
    Broker.checkSize(topic(kind), bytes.length, broker.maxPayloadBytes());
    return bytes;
  }

  String topic(byte kind) {
    return topic + (kind == ALL ? ".all" : ".send");
  }

  void publish(byte kind, byte[] bytes) {
    try {
      broker.publish(topic(kind), bytes);
    } catch (RuntimeException e) {
      LOG.warn(
          "SSE hub {}: publishing to the broker failed, other nodes miss it: {}",
          topic,
          e.toString());
    }
  }

  private void onMessage(String t, byte[] payload) {
    BrokerEnvelope env;
    try {
      env = BrokerEnvelope.parse(payload);
    } catch (IllegalArgumentException e) {
      LOG.warn(
          "SSE hub {}: dropped a malformed broker message on {}: {}", topic, t, e.getMessage());
      return;
    }
    if (env.nodeId().equals(nodeId)) {
      return; // our own echo
    }
    if (!t.equals(topic(env.kind()))) {
      return; // another hub's topic that our pattern also matches
    }
    SseEvent e =
        SseEvent.of(env.a(), env.b(), 0, new String(env.payload(), StandardCharsets.UTF_8));
    switch (env.kind()) {
      case ALL -> hub.deliverRemote(null, e);
      case SEND -> hub.deliverRemote(env.target(), e);
      default -> LOG.warn("SSE hub {}: unknown broker message kind {}", topic, env.kind());
    }
  }

  @Override
  public void close() {
    subscription.close();
    hub.detach(this);
  }
}
