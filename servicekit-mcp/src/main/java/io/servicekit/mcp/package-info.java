/**
 * MCP (Model Context Protocol) over Streamable HTTP: {@link io.servicekit.mcp.McpEndpoint}, the
 * server transport on top of {@link io.servicekit.streamable}, and {@link
 * io.servicekit.mcp.McpServer}, a small API for tools, resources, prompts and completion. See
 * docs/mcp.md.
 */
package io.servicekit.mcp;
