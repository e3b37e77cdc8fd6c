/**
 * Channels: named streams with a bounded history, so that a WebSocket or SSE client that reconnects
 * gets exactly what it missed (by offset and epoch), presence, and acknowledged sends. See
 * docs/channels.md.
 */
package io.servicekit.channel;
