package io.servicekit.grpc;

import io.servicekit.Request;

/**
 * Builds a server-streaming call's request from the upgrade request (path parameters, query,
 * headers), before the upgrade. Throwing refuses the upgrade with 400 and the exception's message;
 * throw {@link io.servicekit.Rejection} to choose another status.
 *
 * @param <Req> the request type
 */
@FunctionalInterface
public interface RequestParser<Req> {
  /** The request for the call. */
  Req parse(Request request) throws Exception;
}
