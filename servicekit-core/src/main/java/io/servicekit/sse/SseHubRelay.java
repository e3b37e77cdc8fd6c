package io.servicekit.sse;

import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.broker.Broker;
import io.servicekit.broker.BrokerGap;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.internal.BrokerEnvelope;
import io.servicekit.internal.Ids;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
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
  private final Broker.Subscription gapSubscription;

  SseHubRelay(SseHub<O> hub, Broker broker, String topic, Codec<?, O> codec) {
    this.hub = hub;
    this.broker = Objects.requireNonNull(broker, "broker");
    this.topic = Broker.checkTopicPrefix("hub topic", topic);
    this.codec = Objects.requireNonNull(codec, "codec");
    this.subscription = broker.subscribePattern(topic + ".*", this::onMessage);
    this.gapSubscription = broker.onGap(this::onGap);
  }

  String nodeId() {
    return nodeId;
  }

  /** Encodes and size-checks, before anything is delivered locally. */
  byte[] serialize(
      byte kind, @Nullable String target, @Nullable String event, @Nullable String id, O message) {
    SseEvent e = SseEvent.encode(codec, event, id, message);
    byte[] bytes =
        new BrokerEnvelope(
                nodeId,
                kind,
                target == null ? "" : target,
                "",
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

  /**
   * Refuses a message before anything is delivered when the broker is known to be down.
   *
   * @throws BrokerUnavailableException then
   */
  void checkAvailable() {
    if (!broker.available()) {
      throw new BrokerUnavailableException(
          "SSE hub " + topic + ": the broker " + broker + " is unavailable; message not sent",
          false,
          null);
    }
  }

  /** Publishes after local delivery; a failure is logged (other nodes may miss the message). */
  void publish(byte kind, byte[] bytes) {
    CompletionStage<Void> sent;
    try {
      sent = broker.publish(topic(kind), bytes);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedStage(e);
    }
    sent.whenComplete(
        (v, e) -> {
          if (e != null) {
            LOG.warn(
                "SSE hub {}: delivered on this node, but the broker did not take it; other nodes"
                    + " may miss it: {}",
                topic,
                e.toString());
          }
        });
  }

  /** The subscription was lost and is back: every local member gets a {@code resync} event. */
  private void onGap(BrokerGap gap) {
    LOG.warn("SSE hub {}: {}; sending members a resync event", topic, gap.reason());
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("reason", "broker outage: " + gap.reason());
    data.put("outageMs", gap.outage().toMillis());
    data.put("topic", topic);
    hub.deliverRemote(null, SseEvent.encode(JsonCodec.INSTANCE, "resync", null, data));
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
    gapSubscription.close();
    hub.detach(this);
  }
}
