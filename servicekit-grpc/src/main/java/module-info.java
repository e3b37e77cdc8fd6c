/** ServiceKit's gRPC bridge: gRPC services (protobuf messages as JSON) over WebSocket. */
// grpc-java and protobuf are automatic modules (no module-info; names from Automatic-Module-Name)
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.servicekit.grpc {
  requires transitive io.servicekit;
  requires transitive com.google.protobuf;
  requires transitive com.google.protobuf.util;
  requires transitive io.grpc;
  requires transitive io.grpc.stub;
  requires org.slf4j;
  requires static transitive org.jspecify; // @Nullable in signatures; not needed at run time

  exports io.servicekit.grpc;
}
