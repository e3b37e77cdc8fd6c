/**
 * Stdio framing for MCP peers: {@link io.servicekit.mcp.stdio.ContentLengthFraming} reads and
 * writes {@code Content-Length}-framed messages (as LSP does) with bounded frames and headers. See
 * docs/mcp.md.
 */
package io.servicekit.mcp.stdio;
