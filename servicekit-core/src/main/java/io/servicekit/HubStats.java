package io.servicekit;

/**
 * A snapshot of a {@link Hub}'s counters.
 *
 * @param connections members now registered
 * @param maxConnections the hub's limit ({@link Integer#MAX_VALUE} when unlimited)
 * @param rooms rooms with at least one member
 * @param delivered messages queued to members since the hub was created
 * @param refused messages a member refused (closing, closed, or its slow-consumer policy)
 */
public record HubStats(
    int connections, int maxConnections, int rooms, long delivered, long refused) {}
