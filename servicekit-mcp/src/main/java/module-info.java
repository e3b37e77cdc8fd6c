/** ServiceKit's Model Context Protocol server over Streamable HTTP. */
module io.servicekit.mcp {
  requires static transitive org.jspecify; // @Nullable in signatures; not needed at run time
  requires transitive io.servicekit;
  requires org.slf4j;

  exports io.servicekit.mcp;
  exports io.servicekit.mcp.stdio;
}
