package io.servicekit.demo;

import io.servicekit.jetty.Responses;
import java.util.Objects;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * {@code GET|POST /publish?msg=...}: publishes {@code msg} to every {@link TimeService} subscriber.
 * A POST may also carry {@code msg} in an {@code application/x-www-form-urlencoded} body.
 *
 * <ul>
 *   <li>200 {@code {"delivered":N}}: N subscribers queued the message (0 when there are none);
 *   <li>400 {@code {"error":"..."}}: {@code msg} missing, empty or longer than {@value
 *       TimeService#MAX_MESSAGE_LENGTH} characters, or an unreadable query or form;
 *   <li>503 {@code {"error":"..."}}: clustered, and the broker is down or did not take the message
 *       in time ({@code SERVICEKIT_BROKER}); the error says whether this process's subscribers got
 *       it. A 200 means the broker took it for every other process.
 *   <li>405 with {@code Allow: GET, POST} for any other method.
 * </ul>
 */
public final class PublishHandler extends Handler.Abstract {
  private final TimeService service;

  /** A handler publishing to {@code service}. */
  public PublishHandler(TimeService service) {
    super(InvocationType.BLOCKING); // a POST body is read blocking, on a virtual thread
    this.service = Objects.requireNonNull(service, "service");
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String method = request.getMethod();
    if (!HttpMethod.GET.is(method) && !HttpMethod.POST.is(method)) {
      HttpHandlers.methodNotAllowed(response, callback, method, "GET, POST");
      return true;
    }
    Fields fields;
    try {
      fields =
          HttpMethod.POST.is(method)
              ? Request.getParameters(request)
              : Request.extractQueryParameters(request);
    } catch (Exception e) {
      HttpHandlers.error(
          response,
          callback,
          HttpStatus.BAD_REQUEST_400,
          "cannot read the query or form: " + e.getMessage());
      return true;
    }
    String msg = fields.getValue("msg");
    String problem = TimeService.messageProblem(msg);
    if (problem != null) {
      HttpHandlers.error(response, callback, HttpStatus.BAD_REQUEST_400, problem);
      return true;
    }
    service
        .publish(msg)
        .whenComplete(
            (delivered, e) -> {
              if (e == null) {
                Responses.json(
                    response, callback, HttpStatus.OK_200, "{\"delivered\":" + delivered + "}");
              } else {
                HttpHandlers.error(
                    response,
                    callback,
                    HttpStatus.SERVICE_UNAVAILABLE_503,
                    "not published: " + Failures.message(e));
              }
            });
    return true;
  }
}
