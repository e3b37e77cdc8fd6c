package io.servicekit.demo;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import java.util.Map;

/**
 * One subscriber of the {@link TimeService} feed ({@code /ws/time}). It receives the time every
 * second and every published message. It may publish itself by sending {@code
 * {"type":"publish","msg":"..."}} (upstream re-broadcast whatever a subscriber sent); anything else
 * is answered with an error envelope and the connection stays open. Unlike upstream's {@code
 * TimeConn}, a subscriber that stays silent (no pong, no message) for the pong period is closed: a
 * dead peer must not linger.
 */
public final class TimeConn implements WsListener<Object, Object> {
  @Override
  public Codec<Object, Object> codec() {
    return JsonCodec.INSTANCE;
  }

  @Override
  public String name() {
    return "TimeConn";
  }

  private final TimeService service;

  TimeConn(TimeService service) {
    this.service = service;
  }

  @Override
  public void onOpen(WsSession<Object> session) {
    if (!service.hub().register(session)) {
      throw new CloseException(CloseStatus.TRY_AGAIN_LATER, "too many subscribers");
    }
    session.send(service.timeEvent());
  }

  @Override
  public void onMessage(WsSession<Object> session, Object message) {
    if (message instanceof Map<?, ?> map
        && "publish".equals(map.get("type"))
        && map.get("msg") instanceof String msg) {
      String problem = TimeService.messageProblem(msg);
      if (problem != null) {
        session.sendError(problem);
      } else {
        service
            .publish(msg)
            .exceptionally(
                e -> {
                  session.sendError("not published: " + Failures.message(e));
                  return 0;
                });
      }
      return;
    }
    session.sendError("the time feed accepts only {\"type\":\"publish\",\"msg\":\"...\"}");
  }
}
