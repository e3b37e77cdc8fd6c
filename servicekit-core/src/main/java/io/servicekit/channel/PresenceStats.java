package io.servicekit.channel;

/**
 * A point-in-time view of a {@link Presence}.
 *
 * @param channels channels with at least one member (cluster-wide)
 * @param members members summed over channels (a user in two channels counts twice)
 * @param localConnections connections joined on this node
 * @param remoteNodes other nodes heard from and not yet declared dead
 * @param expiredNodes nodes declared dead since creation (not heard from within the node TTL)
 * @param refusedJoins local joins refused because a bound was reached
 * @param droppedRemote remote entries and messages dropped: over a bound, or malformed
 * @param publishFailures messages to the broker that failed (healed by the next heartbeat)
 * @param estimatedBytes rough heap used by the entries, from fixed per-entry costs (strings given
 *     by the caller are not counted)
 */
public record PresenceStats(
    int channels,
    int members,
    int localConnections,
    int remoteNodes,
    long expiredNodes,
    long refusedJoins,
    long droppedRemote,
    long publishFailures,
    long estimatedBytes) {}
