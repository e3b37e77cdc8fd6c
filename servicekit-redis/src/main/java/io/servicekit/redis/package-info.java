/**
 * Redis for ServiceKit: {@link io.servicekit.redis.RedisBroker} (pub/sub, so hubs and resumable SSE
 * streams span nodes) and {@link io.servicekit.redis.RedisEventStore} (Redis Streams, so an SSE
 * client can resume on any node). See {@code docs/scaling.md}.
 */
package io.servicekit.redis;
