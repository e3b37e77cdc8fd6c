package io.servicekit;

import io.servicekit.broker.Broker;
import io.servicekit.broker.BrokerGap;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.internal.BrokerEnvelope;
import io.servicekit.internal.Ids;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Carries one {@link Hub}'s broadcasts over a {@link Broker} to the same hub on other nodes. */
final class HubRelay<O> implements Broker.Subscription {
  private static final Logger LOG = LoggerFactory.getLogger(HubRelay.class);

  static final byte ALL = 1;
  static final byte ROOM = 2;
  static final byte SEND = 3;
  static final byte GAP = 4;

  private final Hub<O> hub;
  private final Broker broker;
  private final String topic;
  private final Codec<?, O> codec;
  private final String nodeId = Ids.random();
  private final Broker.Subscription subscription;
  private final LongAdder publishFailures = new LongAdder();
  private final LongAdder received = new LongAdder();
  private final LongAdder gaps = new LongAdder();
  private volatile boolean owesGap; // a hand-over failed after local delivery; others not told
  private final Broker.Subscription gapSubscription;

  HubRelay(Hub<O> hub, Broker broker, String topic, Codec<?, O> codec) {
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

  /** Encodes and checks {@code message} before anything is delivered. */
  BrokerEnvelope envelope(byte kind, @Nullable String target, @Nullable String exclude, O message) {
    Message frame = codec.encode(message);
    byte[] bytes =
        switch (frame) {
          case Message.Text t -> t.bytes();
          case Message.Binary b -> b.bytes();
        };
    BrokerEnvelope env =
        new BrokerEnvelope(
            nodeId,
            kind,
            target == null ? "" : target,
            exclude == null ? "" : exclude,
            null,
            null,
            frame instanceof Message.Binary,
            bytes);
    return env;
  }

  /** Serializes and size-checks {@code env}, before local delivery. */
  byte[] serialize(String topicSuffix, BrokerEnvelope env) {
    byte[] bytes = env.toBytes();
    Broker.checkSize(topic + "." + topicSuffix, bytes.length, broker.maxPayloadBytes());
    return bytes;
  }

  /**
   * Refuses a message before anything is delivered when the broker is known to be down.
   *
   * @throws BrokerUnavailableException then
   */
  void checkAvailable() {
    if (broker.available() && owesGap) {
      sendGapNotice();
    }
    if (!broker.available()) {
      publishFailures.increment();
      throw new BrokerUnavailableException(
          "hub " + topic + ": the broker " + broker + " is unavailable; message not sent",
          false,
          null);
    }
  }

  /**
   * Publishes after local delivery; a failure is counted and logged here and reported through the
   * returned stage as a {@link BrokerUnavailableException} with {@code deliveredLocally()} true.
   */
  CompletionStage<Void> publish(String topicSuffix, byte[] bytes) {
    CompletionStage<Void> sent;
    try {
      sent = broker.publish(topic + "." + topicSuffix, bytes);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedStage(e);
    }
    return sent.exceptionallyCompose(
        e -> {
          Throwable cause =
              e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          publishFailures.increment();
          // Nodes whose own subscription stayed up would miss it silently: tell them once the
          // broker takes messages again (before the next message, or when this node reconnects).
          owesGap = true;
          LOG.warn(
              "hub {}: delivered on this node, but the broker did not take it; other nodes may miss"
                  + " it: {}",
              topic,
              cause.toString());
          return CompletableFuture.failedStage(
              new BrokerUnavailableException(
                  "hub "
                      + topic
                      + ": delivered on this node, but not handed to the other nodes: "
                      + cause.getMessage(),
                  true,
                  cause));
        });
  }

  /**
   * Publishes a gap notice on {@code <topic>.gap}: every other node tells its members to resync.
   * Sent ahead of the next message (on the same ordered connection) after a failed hand-over.
   */
  private void sendGapNotice() {
    owesGap = false;
    byte[] notice =
        new BrokerEnvelope(nodeId, GAP, "", "", null, null, false, new byte[0]).toBytes();
    CompletionStage<Void> sent;
    try {
      sent = broker.publish(topic + ".gap", notice);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedStage(e);
    }
    sent.whenComplete(
        (v, e) -> {
          if (e != null) {
            owesGap = true; // try again with the next message
          }
        });
  }

  /** The broker lost this node's subscription: members may have missed other nodes' messages. */
  private void onGap(BrokerGap gap) {
    if (owesGap) {
      sendGapNotice(); // this node's own failed hand-overs, if any, are owed to the others
    }
    gaps.increment();
    LOG.warn("hub {}: {}; telling {} members to resync", topic, gap.reason(), hub.size());
    hub.deliverRemote(
        null, null, null, Message.text(Json.resync(topic, gap.reason(), gap.outage().toMillis())));
  }

  long gaps() {
    return gaps.sum();
  }

  long publishFailures() {
    return publishFailures.sum();
  }

  long received() {
    return received.sum();
  }

  private void onMessage(String t, byte[] payload) {
    BrokerEnvelope env;
    try {
      env = BrokerEnvelope.parse(payload);
    } catch (IllegalArgumentException e) {
      LOG.warn("hub {}: dropped a malformed broker message on {}: {}", topic, t, e.getMessage());
      return;
    }
    if (env.nodeId().equals(nodeId)) {
      return; // our own echo: delivered locally already
    }
    String expected =
        switch (env.kind()) {
          case ALL -> topic + ".all";
          case ROOM -> topic + ".room." + env.target();
          case SEND -> topic + ".send";
          case GAP -> topic + ".gap";
          default -> null;
        };
    if (!t.equals(expected)) {
      return; // another hub's topic that our pattern also matches (e.g. "chat.room.*")
    }
    if (env.kind() == GAP) {
      gaps.increment();
      String reason = "another node could not hand messages to the broker";
      LOG.warn("hub {}: {}; telling {} members to resync", topic, reason, hub.size());
      hub.deliverRemote(null, null, null, Message.text(Json.resync(topic, reason, 0)));
      return;
    }
    received.increment();
    Message frame =
        env.binary()
            ? Message.binary(env.payload())
            : Message.text(new String(env.payload(), StandardCharsets.UTF_8));
    String exclude = env.exclude().isEmpty() ? null : env.exclude();
    switch (env.kind()) {
      case ALL -> hub.deliverRemote(null, null, exclude, frame);
      case ROOM -> hub.deliverRemote(env.target(), null, exclude, frame);
      case SEND -> hub.deliverRemote(null, env.target(), null, frame);
      default -> LOG.warn("hub {}: unknown broker message kind {}", topic, env.kind());
    }
  }

  @Override
  public void close() {
    subscription.close();
    gapSubscription.close();
    hub.detach(this);
  }
}
