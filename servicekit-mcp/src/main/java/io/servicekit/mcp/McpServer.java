package io.servicekit.mcp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The MCP server features a transport serves: tools, resources (plain and templated), prompts,
 * completion and custom request methods, each with a handler. Immutable once built; handlers run on
 * virtual threads (one per request) and may block.
 *
 * <pre>{@code
 * McpServer server =
 *     McpServer.builder("weather", "1.0.0")
 *         .tool("forecast", "The forecast for a city", schema,
 *             (ctx, args) -> McpJson.toolResult(McpJson.text("sunny in " + args.path("city").asString())))
 *         .build();
 * }</pre>
 *
 * <p>The lifecycle methods ({@code initialize}, {@code ping}, {@code logging/setLevel}, {@code
 * resources/subscribe}, {@code resources/unsubscribe} and the notifications) are the transport's
 * ({@link McpEndpoint}); the rest is dispatched here.
 */
public final class McpServer {
  private static final Logger LOG = LoggerFactory.getLogger(McpServer.class);

  /** Answers {@code tools/call} for one tool. */
  @FunctionalInterface
  public interface ToolHandler {
    /**
     * The {@code CallToolResult} (e.g. {@link McpJson#toolResult}) for {@code arguments} (an
     * object, empty when the client sent none). Throw {@link McpError} for a JSON-RPC error; any
     * other exception becomes a result with {@code isError: true} whose text names the tool and a
     * short error id (not the exception's message, which may tell internals), the id being logged
     * with the stack trace. Return {@link McpJson#toolError} for an error text the model should
     * see.
     */
    JsonNode call(McpContext ctx, JsonNode arguments) throws Exception;
  }

  /** Answers {@code resources/read} for a resource or a resource template. */
  @FunctionalInterface
  public interface ResourceHandler {
    /**
     * The {@code ReadResourceResult} (e.g. {@link McpJson#readResult}) for {@code uri}; {@code
     * variables} holds the template's variables (empty for a plain resource).
     */
    JsonNode read(McpContext ctx, String uri, Map<String, String> variables) throws Exception;
  }

  /** Answers {@code prompts/get} for one prompt. */
  @FunctionalInterface
  public interface PromptHandler {
    /** The {@code GetPromptResult} (e.g. {@link McpJson#promptResult}) for {@code arguments}. */
    JsonNode get(McpContext ctx, Map<String, String> arguments) throws Exception;
  }

  /** Answers {@code completion/complete}. */
  @FunctionalInterface
  public interface CompletionHandler {
    /**
     * Suggested values for {@code argument} ({@code {name, value}}) of {@code ref} ({@code
     * ref/prompt} or {@code ref/resource}); the transport wraps them in {@code {"completion":
     * {"values": [...]}}} (at most 100, as the spec requires).
     */
    List<String> complete(McpContext ctx, JsonNode ref, JsonNode argument) throws Exception;
  }

  /** Answers a request method the server adds itself. */
  @FunctionalInterface
  public interface RequestHandler {
    /** The {@code result} for {@code params} (an object, empty when absent). */
    JsonNode handle(McpContext ctx, JsonNode params) throws Exception;
  }

  /** A declared prompt argument. */
  public record PromptArgument(String name, String description, boolean required) {
    /** Checks the name. */
    public PromptArgument {
      Objects.requireNonNull(name, "name");
    }
  }

  private record Tool(ObjectNode descriptor, ToolHandler handler) {}

  private record Resource(ObjectNode descriptor, ResourceHandler handler) {}

  private record Template(
      ObjectNode descriptor, Pattern pattern, List<String> names, ResourceHandler handler) {}

  private record Prompt(ObjectNode descriptor, PromptHandler handler) {}

  private final String name;
  private final String version;
  private final @Nullable String instructions;
  private final Map<String, Tool> tools;
  private final Map<String, Resource> resources;
  private final List<Template> templates;
  private final Map<String, Prompt> prompts;
  private final @Nullable CompletionHandler completion;
  private final Map<String, RequestHandler> methods;
  private final ObjectNode capabilities;

  private McpServer(Builder b) {
    this.name = b.name;
    this.version = b.version;
    this.instructions = b.instructions;
    this.tools = Map.copyOf(b.tools);
    this.resources = Map.copyOf(b.resources);
    this.templates = List.copyOf(b.templates);
    this.prompts = Map.copyOf(b.prompts);
    this.completion = b.completion;
    this.methods = Map.copyOf(b.methods);
    this.toolOrder = List.copyOf(b.tools.values());
    this.resourceOrder = List.copyOf(b.resources.values());
    this.promptOrder = List.copyOf(b.prompts.values());
    ObjectNode caps = McpJson.object();
    if (!tools.isEmpty()) {
      caps.putObject("tools").put("listChanged", b.listChanged);
    }
    if (!resources.isEmpty() || !templates.isEmpty()) {
      caps.putObject("resources").put("subscribe", true).put("listChanged", b.listChanged);
    }
    if (!prompts.isEmpty()) {
      caps.putObject("prompts").put("listChanged", b.listChanged);
    }
    caps.putObject("logging");
    if (completion != null) {
      caps.putObject("completions");
    }
    this.capabilities = caps;
  }

  // the builder's order (Map.copyOf keeps none), for the list answers
  private final List<Tool> toolOrder;
  private final List<Resource> resourceOrder;
  private final List<Prompt> promptOrder;

  /** A builder for a server called {@code name} at {@code version} (its {@code serverInfo}). */
  public static Builder builder(String name, String version) {
    return new Builder(name, version);
  }

  /** The {@code serverInfo.name}. */
  public String name() {
    return name;
  }

  /** The {@code InitializeResult} for {@code protocolVersion}. */
  ObjectNode initializeResult(String protocolVersion) {
    ObjectNode out = McpJson.object().put("protocolVersion", protocolVersion);
    out.set("capabilities", capabilities.deepCopy());
    out.putObject("serverInfo").put("name", name).put("version", version);
    if (instructions != null) {
      out.put("instructions", instructions);
    }
    return out;
  }

  /** The server's capabilities (shared; copy before changing). */
  ObjectNode capabilities() {
    return capabilities;
  }

  /** {@code {"name": ..., "version": ...}}. */
  ObjectNode serverInfo() {
    return McpJson.object().put("name", name).put("version", version);
  }

  Optional<String> instructions() {
    return Optional.ofNullable(instructions);
  }

  /** The input schema of tool {@code name}, or null if there is no such tool. */
  @Nullable JsonNode toolSchema(String name) {
    Tool t = tools.get(name);
    return t == null ? null : t.descriptor().get("inputSchema");
  }

  boolean hasTools() {
    return !tools.isEmpty();
  }

  boolean hasPrompts() {
    return !prompts.isEmpty();
  }

  boolean hasResources() {
    return !resources.isEmpty() || !templates.isEmpty();
  }

  boolean hasCompletion() {
    return completion != null;
  }

  boolean hasMethod(String method) {
    return methods.containsKey(method);
  }

  /**
   * The result of {@code method} with {@code params}.
   *
   * @throws McpError for an unknown method, tool, resource or prompt, or bad params
   */
  JsonNode dispatch(McpContext ctx, String method, @Nullable JsonNode params) throws Exception {
    JsonNode p = params == null || params.isNull() ? McpJson.object() : params;
    switch (method) {
      case "tools/list" -> {
        ObjectNode out = McpJson.object();
        ArrayNode list = out.putArray("tools");
        toolOrder.forEach(t -> list.add(t.descriptor()));
        return out;
      }
      case "tools/call" -> {
        String tool = requiredString(p, "name");
        Tool t = tools.get(tool);
        if (t == null) {
          throw new McpError(McpError.INVALID_PARAMS, "Unknown tool: " + tool);
        }
        JsonNode args = p.path("arguments");
        if (args.isMissingNode() || args.isNull()) {
          args = McpJson.object();
        } else if (!args.isObject()) {
          throw new McpError(
              McpError.INVALID_PARAMS, "tools/call arguments must be an object, got " + args);
        }
        try {
          JsonNode result = t.handler().call(ctx, args);
          return Objects.requireNonNull(result, "tool " + tool + " returned null");
        } catch (McpError | InterruptedException e) {
          throw e;
        } catch (Exception e) {
          // Not the exception's text (it may tell internals): an id that is also in the log.
          String errorId = Messages.newErrorId();
          LOG.warn("MCP tool {} failed (error id {})", tool, errorId, e);
          return McpJson.toolError("Tool " + tool + " failed (error id " + errorId + ")");
        }
      }
      case "resources/list" -> {
        ObjectNode out = McpJson.object();
        ArrayNode list = out.putArray("resources");
        resourceOrder.forEach(r -> list.add(r.descriptor()));
        return out;
      }
      case "resources/templates/list" -> {
        ObjectNode out = McpJson.object();
        ArrayNode list = out.putArray("resourceTemplates");
        templates.forEach(t -> list.add(t.descriptor()));
        return out;
      }
      case "resources/read" -> {
        String uri = requiredString(p, "uri");
        Resource r = resources.get(uri);
        if (r != null) {
          return r.handler().read(ctx, uri, Map.of());
        }
        for (Template t : templates) {
          Matcher m = t.pattern().matcher(uri);
          if (m.matches()) {
            Map<String, String> vars = new LinkedHashMap<>();
            for (int i = 0; i < t.names().size(); i++) {
              vars.put(t.names().get(i), m.group(i + 1));
            }
            return t.handler().read(ctx, uri, Map.copyOf(vars));
          }
        }
        ObjectNode data = McpJson.object().put("uri", uri);
        throw new McpError(McpError.RESOURCE_NOT_FOUND, "Resource not found: " + uri, data);
      }
      case "prompts/list" -> {
        ObjectNode out = McpJson.object();
        ArrayNode list = out.putArray("prompts");
        promptOrder.forEach(pr -> list.add(pr.descriptor()));
        return out;
      }
      case "prompts/get" -> {
        String prompt = requiredString(p, "name");
        Prompt pr = prompts.get(prompt);
        if (pr == null) {
          throw new McpError(McpError.INVALID_PARAMS, "Unknown prompt: " + prompt);
        }
        Map<String, String> args = new LinkedHashMap<>();
        JsonNode given = p.path("arguments");
        if (given.isObject()) {
          given.properties().forEach(e -> args.put(e.getKey(), e.getValue().asString()));
        }
        for (JsonNode a : pr.descriptor().path("arguments")) {
          String argName = a.path("name").asString();
          if (a.path("required").asBoolean(false) && !args.containsKey(argName)) {
            throw new McpError(
                McpError.INVALID_PARAMS, "prompt " + prompt + " needs argument '" + argName + "'");
          }
        }
        return pr.handler().get(ctx, Map.copyOf(args));
      }
      case "completion/complete" -> {
        if (completion == null) {
          throw new McpError(McpError.METHOD_NOT_FOUND, "Method not found: " + method);
        }
        JsonNode ref = p.path("ref");
        JsonNode argument = p.path("argument");
        if (!ref.isObject() || !argument.isObject()) {
          throw new McpError(
              McpError.INVALID_PARAMS, "completion/complete needs params.ref and params.argument");
        }
        List<String> values = completion.complete(ctx, ref, argument);
        ObjectNode out = McpJson.object();
        ObjectNode c = out.putObject("completion");
        ArrayNode list = c.putArray("values");
        values.stream().limit(100).forEach(list::add);
        c.put("total", values.size()).put("hasMore", values.size() > 100);
        return out;
      }
      default -> {
        RequestHandler h = methods.get(method);
        if (h == null) {
          throw new McpError(McpError.METHOD_NOT_FOUND, "Method not found: " + method);
        }
        return h.handle(ctx, p);
      }
    }
  }

  private static String requiredString(JsonNode params, String field) {
    JsonNode v = params.path(field);
    if (!v.isString()) {
      throw new McpError(McpError.INVALID_PARAMS, "params." + field + " must be a string");
    }
    return v.asString();
  }

  /** Builds a {@link McpServer}. */
  public static final class Builder {
    private final String name;
    private final String version;
    private @Nullable String instructions;
    private boolean listChanged;
    private final Map<String, Tool> tools = new LinkedHashMap<>();
    private final Map<String, Resource> resources = new LinkedHashMap<>();
    private final List<Template> templates = new ArrayList<>();
    private final Map<String, Prompt> prompts = new LinkedHashMap<>();
    private final Map<String, RequestHandler> methods = new LinkedHashMap<>();
    private @Nullable CompletionHandler completion;

    private Builder(String name, String version) {
      this.name = Objects.requireNonNull(name, "name");
      this.version = Objects.requireNonNull(version, "version");
    }

    /** The {@code instructions} of the {@code InitializeResult}. */
    public Builder instructions(String instructions) {
      this.instructions = instructions;
      return this;
    }

    /**
     * Whether the capabilities announce {@code listChanged} for tools, resources and prompts
     * (default false: this server's lists are fixed once built).
     */
    public Builder listChanged(boolean listChanged) {
      this.listChanged = listChanged;
      return this;
    }

    /**
     * A tool: {@code inputSchema} must be a JSON Schema object (kept as given, so 2020-12 keywords
     * like {@code $schema}, {@code $defs} survive).
     */
    public Builder tool(
        String name, String description, JsonNode inputSchema, ToolHandler handler) {
      Objects.requireNonNull(handler, "handler");
      if (inputSchema == null || !inputSchema.isObject()) {
        throw new IllegalArgumentException(
            "tool " + name + ": inputSchema must be a JSON object, got " + inputSchema);
      }
      McpHeaders.checkToolSchema(name, inputSchema);
      ObjectNode d = McpJson.object().put("name", unique(tools.keySet(), "tool", name));
      d.put("description", description);
      d.set("inputSchema", inputSchema.deepCopy());
      tools.put(name, new Tool(d, handler));
      return this;
    }

    /** A resource at the fixed {@code uri}. */
    public Builder resource(
        String uri, String name, String description, String mimeType, ResourceHandler handler) {
      Objects.requireNonNull(handler, "handler");
      ObjectNode d = McpJson.object().put("uri", unique(resources.keySet(), "resource", uri));
      d.put("name", name).put("description", description);
      if (mimeType != null) {
        d.put("mimeType", mimeType);
      }
      resources.put(uri, new Resource(d, handler));
      return this;
    }

    /**
     * A resource template: {@code uriTemplate} with simple RFC 6570 variables ({@code {id}}, each
     * matching one or more characters other than {@code /}).
     */
    public Builder resourceTemplate(
        String uriTemplate,
        String name,
        String description,
        String mimeType,
        ResourceHandler handler) {
      Objects.requireNonNull(handler, "handler");
      Matcher m = Pattern.compile("\\{([A-Za-z0-9_]+)}").matcher(uriTemplate);
      StringBuilder regex = new StringBuilder();
      List<String> names = new ArrayList<>();
      int last = 0;
      while (m.find()) {
        regex.append(Pattern.quote(uriTemplate.substring(last, m.start()))).append("([^/]+)");
        names.add(m.group(1));
        last = m.end();
      }
      regex.append(Pattern.quote(uriTemplate.substring(last)));
      if (names.isEmpty()) {
        throw new IllegalArgumentException(
            "resource template has no {variable}: " + uriTemplate + " (use resource(...))");
      }
      ObjectNode d = McpJson.object().put("uriTemplate", uriTemplate);
      d.put("name", name).put("description", description);
      if (mimeType != null) {
        d.put("mimeType", mimeType);
      }
      templates.add(
          new Template(d, Pattern.compile(regex.toString()), List.copyOf(names), handler));
      return this;
    }

    /** A prompt with its declared arguments. */
    public Builder prompt(
        String name, String description, List<PromptArgument> arguments, PromptHandler handler) {
      Objects.requireNonNull(handler, "handler");
      ObjectNode d = McpJson.object().put("name", unique(prompts.keySet(), "prompt", name));
      d.put("description", description);
      if (!arguments.isEmpty()) {
        ArrayNode list = d.putArray("arguments");
        for (PromptArgument a : arguments) {
          ObjectNode o = list.addObject().put("name", a.name());
          if (a.description() != null) {
            o.put("description", a.description());
          }
          o.put("required", a.required());
        }
      }
      prompts.put(name, new Prompt(d, handler));
      return this;
    }

    /** The {@code completion/complete} handler (announces the {@code completions} capability). */
    public Builder completion(CompletionHandler handler) {
      this.completion = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * A handler for a request method of the server's own. The standard methods (tools, resources,
     * prompts, completion, lifecycle) are answered by ServiceKit and cannot be replaced.
     *
     * @throws IllegalArgumentException for a method the transport or this class answers
     */
    public Builder request(String method, RequestHandler handler) {
      if (RESERVED.contains(method)) {
        throw new IllegalArgumentException("method " + method + " is answered by ServiceKit");
      }
      methods.put(method, Objects.requireNonNull(handler, "handler"));
      return this;
    }

    /** The server. */
    public McpServer build() {
      return new McpServer(this);
    }

    private static String unique(java.util.Set<String> taken, String what, String key) {
      Objects.requireNonNull(key, what);
      if (taken.contains(key)) {
        throw new IllegalArgumentException("duplicate " + what + ": " + key);
      }
      return key;
    }
  }

  private static final java.util.Set<String> RESERVED =
      java.util.Set.of(
          "initialize",
          "ping",
          "logging/setLevel",
          "resources/subscribe",
          "resources/unsubscribe",
          "tools/list",
          "tools/call",
          "resources/list",
          "resources/templates/list",
          "resources/read",
          "prompts/list",
          "prompts/get",
          "completion/complete");
}
