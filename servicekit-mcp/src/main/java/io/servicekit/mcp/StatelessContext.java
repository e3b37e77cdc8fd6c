package io.servicekit.mcp;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@link McpContext} of one stateless (2026-07-28) request: client facts from its {@code
 * _meta}, notifications on its own stream, and input asked for with {@code input_required} results
 * (multi-round-trip requests) instead of server-to-client requests.
 */
final class StatelessContext implements McpContext {
  /**
   * Ends a handler's run with an {@code input_required} result. An {@link Error}, not an exception,
   * so that handlers catching {@code Exception} around their work do not swallow it.
   */
  static final class InputRequired extends Error {
    private static final long serialVersionUID = 1L;
    private final transient ObjectNode requests;
    private final String state;

    InputRequired(ObjectNode requests, String state) {
      super(null, null, false, false);
      this.requests = requests;
      this.state = state;
    }

    ObjectNode requests() {
      return requests;
    }

    String state() {
      return state;
    }
  }

  private final StatelessPath path;
  private final StatelessExchange exchange;
  private final String method;
  private final JsonNode params;
  private final JsonNode meta;
  private final @Nullable JsonNode progressToken;
  private final int logLevel; // index in ClientState.LEVELS, -1 = the client asked for no logs
  private final McpAuth.@Nullable AccessToken token; // null without authorization
  private final @Nullable String subject;
  private ObjectNode answers = McpJson.object(); // what the client has answered (all rounds)
  private final ObjectNode used = McpJson.object(); // the answers this run asked for
  private @Nullable String binding;
  private int requests;

  StatelessContext(
      StatelessPath path,
      StatelessExchange exchange,
      String method,
      JsonNode params,
      McpAuth.@Nullable AccessToken access) {
    this.path = path;
    this.exchange = exchange;
    this.method = method;
    this.params = params;
    this.meta = params.path("_meta");
    JsonNode token = meta.path("progressToken");
    this.progressToken = token.isString() || token.isNumber() ? token : null;
    this.logLevel =
        ClientState.LEVELS.indexOf(meta.path(StatelessPath.META_LOG_LEVEL).asString(""));
    this.token = access;
    this.subject = access == null ? null : access.subject();
  }

  /**
   * Reads the client's answers: {@code inputResponses} of this retry and those of earlier rounds
   * from the {@code requestState}.
   *
   * @throws McpError -32602 for malformed answers or a state that fails its checks
   */
  void openAnswers() {
    JsonNode responses = params.path("inputResponses");
    JsonNode state = params.path("requestState");
    if (responses.isMissingNode() && state.isMissingNode()) {
      return;
    }
    if (!StatelessPath.INPUT_METHODS.contains(method)) {
      throw new McpError(
          McpError.INVALID_PARAMS,
          "inputResponses and requestState belong to tools/call, prompts/get and resources/read,"
              + " not "
              + method);
    }
    if (!responses.isMissingNode() && !responses.isObject()) {
      throw new McpError(
          McpError.INVALID_PARAMS,
          "inputResponses must be an object (key -> the client's result), got "
              + HttpFront.abbreviate(responses));
    }
    if (!state.isMissingNode()) {
      answers = path.states().open(state, binding());
    }
    if (responses.isObject()) {
      responses.properties().forEach(e -> answers.set(e.getKey(), e.getValue()));
    }
  }

  private String binding() {
    if (binding == null) {
      binding = RequestStates.binding(method, params, subject);
    }
    return binding;
  }

  @Override
  public Map<String, JsonNode> inputs(Map<String, McpInput> inputs) {
    if (!StatelessPath.INPUT_METHODS.contains(method)) {
      throw new McpError(
          McpError.INVALID_REQUEST,
          "input can only be asked for while answering tools/call, prompts/get or resources/read,"
              + " not "
              + method);
    }
    Map<String, JsonNode> got = new LinkedHashMap<>();
    ObjectNode missing = McpJson.object();
    for (Map.Entry<String, McpInput> e : inputs.entrySet()) {
      String key = Objects.requireNonNull(e.getKey(), "input key");
      McpInput in = Objects.requireNonNull(e.getValue(), "input");
      if (!clientSupports(in.capability())) {
        ObjectNode data = McpJson.object();
        data.putObject("requiredCapabilities").putObject(in.capability());
        throw new McpError(
            McpError.MISSING_REQUIRED_CLIENT_CAPABILITY,
            "Missing required client capability: "
                + in.method()
                + " needs '"
                + in.capability()
                + "' in _meta[\""
                + StatelessPath.META_CAPABILITIES
                + "\"]",
            data);
      }
      JsonNode answer = answers.get(key);
      if (answer == null) {
        ObjectNode r = missing.putObject(key).put("method", in.method());
        r.set("params", in.params());
      } else if (!answer.isObject()) {
        throw new McpError(
            McpError.INVALID_PARAMS,
            "inputResponses."
                + key
                + " must be an object (the client's result of "
                + in.method()
                + "), got "
                + HttpFront.abbreviate(answer));
      } else {
        got.put(key, answer);
        used.set(key, answer);
      }
    }
    if (!missing.isEmpty()) {
      throw new InputRequired(missing, path.states().seal(binding(), used));
    }
    return got;
  }

  @Override
  public JsonNode input(String key, McpInput input) {
    return Messages.answerOf(key, inputs(Map.of(key, input)));
  }

  @Override
  public Optional<McpAuth.AccessToken> accessToken() {
    return Optional.ofNullable(token);
  }

  @Override
  public String sessionId() {
    return "";
  }

  @Override
  public String protocolVersion() {
    return meta.path(StatelessPath.META_VERSION).asString();
  }

  @Override
  public JsonNode clientCapabilities() {
    return meta.path(StatelessPath.META_CAPABILITIES);
  }

  @Override
  public JsonNode clientInfo() {
    JsonNode info = meta.path(StatelessPath.META_CLIENT_INFO);
    return info.isObject() ? info : McpJson.object();
  }

  @Override
  public Optional<JsonNode> progressToken() {
    return Optional.ofNullable(progressToken);
  }

  @Override
  public void progress(double progress, Double total, String message) throws InterruptedException {
    if (progressToken == null) {
      return;
    }
    exchange.emit(Messages.progress(progressToken, progress, total, message));
  }

  @Override
  public void log(String level, String logger, JsonNode data) throws InterruptedException {
    int index = Messages.logLevel(level);
    if (logLevel < 0 || index < logLevel) {
      return; // 2026-07-28: logs only when the request asked, at or above its level
    }
    exchange.emit(Messages.log(level, logger, data));
  }

  @Override
  public void log(String level, String logger, String message) throws InterruptedException {
    log(level, logger, McpJson.MAPPER.getNodeFactory().stringNode(message));
  }

  @Override
  public void notify(String method, JsonNode params) throws InterruptedException {
    Objects.requireNonNull(method, "method");
    exchange.emit(Messages.notification(method, params));
  }

  @Override
  public JsonNode request(String method, JsonNode params, Duration timeout) {
    if (!McpInput.METHODS.contains(method)) {
      throw new McpError(
          McpError.METHOD_NOT_FOUND,
          "on protocol version 2026-07-28 servers send no requests to the client ("
              + method
              + "); only "
              + McpInput.METHODS
              + " can be asked for, as input");
    }
    requests++;
    return input(
        "request-" + requests, new McpInput(method, params == null ? McpJson.object() : params));
  }

  @Override
  public JsonNode request(String method, JsonNode params) {
    return request(method, params, Duration.ZERO);
  }

  /** No-op: the stateless revision has no resumable streams to close (SEP-1699 is legacy). */
  @Override
  public void closeStream() {}
}
