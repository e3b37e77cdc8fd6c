/**
 * ServiceKit on Redis (Lettuce): a pub/sub {@code Broker} and a Redis Streams {@code EventStore}.
 */
// Lettuce is an automatic module (no module-info; name from Automatic-Module-Name)
@SuppressWarnings("requires-automatic")
module io.servicekit.redis {
  requires transitive io.servicekit;
  requires lettuce.core;
  requires org.slf4j;
  requires static org.jspecify;

  exports io.servicekit.redis;
}
