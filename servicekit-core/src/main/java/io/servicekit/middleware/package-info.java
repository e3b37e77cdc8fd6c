/**
 * HTTP middleware policies that need no server: token buckets and rate limits, client IP resolution
 * behind trusted proxies, origin patterns, request ids and content-type rules. The Jetty handlers
 * in {@code io.servicekit.jetty.middleware} apply them to requests; here they are plain objects,
 * testable with a fake clock and strings.
 */
package io.servicekit.middleware;
