package io.servicekit.jetty;

import io.servicekit.internal.RequestSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.pathmap.UriTemplatePathSpec;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.PathMappingsHandler;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.URIUtil;

/**
 * Copies a Jetty {@link Request} into a {@link RequestSnapshot}: the request object is recycled
 * after the upgrade, while a connection keeps its handshake request for life.
 */
final class JettyRequest {
  private JettyRequest() {}

  static RequestSnapshot of(Request request) {
    String scheme =
        request.getHttpURI().getScheme() == null ? "http" : request.getHttpURI().getScheme();
    Map<String, List<String>> h = new LinkedHashMap<>();
    for (HttpField field : request.getHeaders()) {
      h.computeIfAbsent(field.getLowerCaseName(), k -> new ArrayList<>(1)).add(field.getValue());
    }
    String hostHeader = RequestSnapshot.first(h, "host");
    String host =
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
    return new RequestSnapshot(
        request.getMethod(),
        scheme,
        host,
        request.getHttpURI().getDecodedPath(),
        h,
        q,
        pathParams(request),
        ServeSupport.tokens(request, HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL),
        RequestSnapshot.inet(request.getConnectionMetaData().getRemoteSocketAddress()));
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
}
