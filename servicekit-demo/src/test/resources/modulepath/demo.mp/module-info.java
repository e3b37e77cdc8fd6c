// A tiny application on the module path: it may read only what the ServiceKit modules export.
module demo.mp {
  requires io.servicekit.jetty;
  requires java.net.http;
}
