package io.servicekit.jetty;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.pathmap.UriTemplatePathSpec;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.PathMappingsHandler;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.URIUtil;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of a Jetty {@link Request}: the request object is recycled after the
 * upgrade, while a connection keeps its handshake request for life.
 */
final class JettyRequest implements io.servicekit.Request {
  private final String method;
  private final String scheme;
  private final String host;
  private final String path;
  private final Map<String, List<String>> headers; // lower-case names
  private final Map<String, List<String>> query;
  private final Map<String, String> pathParams;
  private final List<String> subprotocols;
  private final InetSocketAddress remote;

  private JettyRequest(Request request) {
    this.method = request.getMethod();
    this.scheme =
        request.getHttpURI().getScheme() == null ? "http" : request.getHttpURI().getScheme();
    this.path = request.getHttpURI().getDecodedPath();
    Map<String, List<String>> h = new LinkedHashMap<>();
    for (HttpField field : request.getHeaders()) {
      h.computeIfAbsent(field.getLowerCaseName(), k -> new ArrayList<>(1)).add(field.getValue());
    }
    this.headers = h;
    String hostHeader = first(h, "host");
    this.host =
        hostHeader != null
            ? hostHeader
            : request.getHttpURI().getAuthority() == null
                ? ""
                : request.getHttpURI().getAuthority();
    Map<String, List<String>> q = new LinkedHashMap<>();
    Fields fields = Request.extractQueryParameters(request);
    for (Fields.Field field : fields) {
      q.put(field.getName(), List.copyOf(field.getValues()));
    }
    this.query = q;
    this.pathParams = pathParams(request);
    this.subprotocols =
        List.copyOf(ServeSupport.tokens(request, HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL));
    SocketAddress remoteAddress = request.getConnectionMetaData().getRemoteSocketAddress();
    this.remote =
        remoteAddress instanceof InetSocketAddress isa
            ? isa
            : InetSocketAddress.createUnresolved(String.valueOf(remoteAddress), 0);
  }

  static JettyRequest of(Request request) {
    return new JettyRequest(request);
  }

  private static Map<String, String> pathParams(Request request) {
    if (request.getAttribute(PathMappingsHandler.PATHSPEC_ATTR)
        instanceof UriTemplatePathSpec spec) {
      Map<String, String> params = spec.getPathParams(pathInContext(request));
      if (params != null) {
        // Matched on the encoded path, as Jetty's PathMappingsHandler does; decode each value.
        Map<String, String> decoded = new LinkedHashMap<>();
        params.forEach((name, value) -> decoded.put(name, URIUtil.decodePath(value)));
        return Map.copyOf(decoded);
      }
    }
    return Map.of();
  }

  private static String pathInContext(Request request) {
    // Below a PathMappingsHandler the context path includes the matched path, so the request's
    // own path in context is only what follows the match (empty for a template). The template
    // matched the path as the PathMappingsHandler saw it: that of the request it wrapped.
    Request matched = request;
    for (Request r = request; r instanceof Request.Wrapper wrapper; r = wrapper.getWrapped()) {
      if (wrapper instanceof PathMappingsHandler.PathSpecRequest) {
        matched = wrapper.getWrapped();
        break;
      }
    }
    try {
      return Request.getPathInContext(matched);
    } catch (RuntimeException e) {
      // Jetty's PathMappingsHandler wrapper fails without a ContextHandler above it.
      return matched.getHttpURI().getCanonicalPath();
    }
  }

  private static @Nullable String first(Map<String, List<String>> h, String name) {
    List<String> values = h.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public Optional<String> header(String name) {
    return Optional.ofNullable(first(headers, name.toLowerCase(Locale.ROOT)));
  }

  @Override
  public List<String> headers(String name) {
    return List.copyOf(headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of()));
  }

  @Override
  public Optional<String> queryParam(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  @Override
  public Map<String, List<String>> queryParams() {
    return Map.copyOf(query);
  }

  @Override
  public Map<String, String> pathParams() {
    return pathParams;
  }

  @Override
  public List<String> subprotocols() {
    return subprotocols;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public String toString() {
    return method + " " + path;
  }
}
