// Drives ServiceKit's MCP Streamable HTTP transport (the demo's /mcp) with the official
// TypeScript SDK client. Usage: node mcp-interop.mjs http://localhost:PORT/mcp
// Prints one JSON summary line last: {"ok":bool,"sdk":version,"checks":[{name,ok,detail}]}.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';

const url = new URL(process.argv[2]);
const sdk = JSON.parse(
  readFileSync(new URL('./node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url)),
).version;
const checks = [];
function check(name, ok, detail) {
  checks.push({ name, ok: !!ok, detail: detail === undefined ? undefined : String(detail) });
}

async function run() {
  const client = new Client(
    { name: 'servicekit-interop', version: '1.0.0' },
    { capabilities: { sampling: {} } },
  );
  const logs = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params.data));
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
    role: 'assistant',
    model: 'interop-model',
    content: { type: 'text', text: 'echo: ' + req.params.messages[0].content.text },
  }));
  const transport = new StreamableHTTPClientTransport(url, {
    reconnectionOptions: {
      initialReconnectionDelay: 100,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 5,
    },
  });
  await client.connect(transport);
  check('initialize: session id issued', /^[0-9a-f]{32}$/.test(transport.sessionId ?? ''), transport.sessionId);
  check('initialize: protocol 2025-11-25', transport.protocolVersion === '2025-11-25', transport.protocolVersion);

  const tools = await client.listTools();
  const names = tools.tools.map((t) => t.name);
  check('tools/list', names.includes('test_simple_text') && names.includes('test_reconnection'), names.length);

  const simple = await client.callTool({ name: 'test_simple_text', arguments: {} });
  check('tools/call: JSON answer', simple.content[0].text === 'This is a simple text response for testing.', simple.content[0].text);

  const logged = await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
  check(
    'tools/call: 3 log notifications on the POST stream before the result',
    logs.length === 3 && logs[0] === 'Tool execution started' && logged.content.length === 1,
    JSON.stringify(logs),
  );

  const progress = [];
  await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
    onprogress: (p) => progress.push(p.progress),
  });
  check('tools/call: progress 0, 50, 100', JSON.stringify(progress) === '[0,50,100]', JSON.stringify(progress));

  const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
  check('tools/call: sampling request answered by the client', sampled.content[0].text === 'LLM response: echo: hi', sampled.content[0].text);

  // The server closes the POST stream mid-call (SEP-1699): the SDK must resume with GET +
  // Last-Event-ID and get the result from the stored stream.
  const resumed = await client.callTool({ name: 'test_reconnection', arguments: {} });
  check('resume: result after the server closed the stream', resumed.content[0].text === 'Reconnection test completed', resumed.content[0].text);

  const sessionId = transport.sessionId;
  await transport.terminateSession();
  check('terminate: DELETE accepted, session id cleared', transport.sessionId === undefined, transport.sessionId);
  const after = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'ping' }),
  });
  check('terminate: the ended session answers 404', after.status === 404, after.status);
  await client.close();
}

try {
  await run();
} catch (e) {
  check('no exception', false, e && e.stack ? e.stack : e);
}
const ok = checks.length > 0 && checks.every((c) => c.ok);
console.log(JSON.stringify({ ok, sdk, checks }));
process.exit(ok ? 0 : 1);
