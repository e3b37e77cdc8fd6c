// Drives ServiceKit's MCP endpoint (the demo's /mcp) on revision 2026-07-28, the stateless one,
// with the official TypeScript client 2.x (@modelcontextprotocol/client).
// Usage: node mcp-modern.mjs http://localhost:PORT/mcp pin|auto|auto-legacy
//   pin:         versionNegotiation {mode: {pin: '2026-07-28'}}: server/discover must offer it
//   auto:        versionNegotiation {mode: 'auto'}: probes server/discover, falls back to
//                initialize on a legacy answer; the demo serves both, so it must stay on 2026-07-28
//   auto-legacy: the same client against an endpoint that refuses 2026-07-28 requests as a
//                legacy-only server does (400, no JSON-RPC error it knows): it must fall back to
//                initialize and do the same work on 2025-11-25 (elicitation as a server request on
//                the call's stream, list changes on the session's GET stream instead of a listen)
// Every HTTP exchange is recorded (JSON-RPC method, whether it is a request (has an id),
// Mcp-Method, MCP-Protocol-Version, Mcp-Session-Id, HTTP status, content type).
// Prints one JSON summary line last:
//   {"ok":bool,"sdk":version,"mode":..,"era":..,"protocolVersion":..,"wire":[..],"checks":[..]}
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { readFileSync } from 'node:fs';

const url = new URL(process.argv[2]);
const modeName = process.argv[3];
if (!['pin', 'auto', 'auto-legacy'].includes(modeName)) {
  console.error(`second argument must be pin, auto or auto-legacy, not ${modeName}`);
  process.exit(2);
}
const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';
const modern = modeName !== 'auto-legacy';
const WAIT_MS = 20000;
const sdk = JSON.parse(
  readFileSync(new URL('./node_modules/@modelcontextprotocol/client/package.json', import.meta.url)),
).version;

const checks = [];
function check(name, ok, detail) {
  checks.push({ name, ok: !!ok, detail: detail === undefined ? undefined : String(detail) });
}

// What the client puts on the wire: one entry per HTTP request the transport makes.
const wire = [];
async function recordingFetch(input, init) {
  const headers = new Headers(init?.headers);
  let body;
  if (typeof init?.body === 'string') {
    try {
      body = JSON.parse(init.body);
    } catch {
      body = undefined;
    }
  }
  const entry = {
    http: init?.method ?? 'GET',
    method: body?.method ?? null,
    request: body?.method !== undefined && body?.id !== undefined,
    mcpMethod: headers.get('mcp-method'),
    version: headers.get('mcp-protocol-version'),
    session: headers.get('mcp-session-id'),
  };
  wire.push(entry);
  const response = await fetch(input, init);
  entry.status = response.status;
  entry.type = response.headers.get('content-type');
  return response;
}

// Resolves once cond() holds, checking every 20 ms (bounded by within()).
function until(cond) {
  return new Promise((resolve) => {
    const poll = () => (cond() ? resolve() : setTimeout(poll, 20));
    poll();
  });
}

function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms: ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const mode = modeName === 'pin' ? { pin: MODERN } : 'auto';
const result = { mode: modeName };

async function run() {
  const client = new Client(
    { name: 'servicekit-interop-modern', version: '1.0.0' },
    {
      capabilities: { elicitation: { form: {} } },
      versionNegotiation: { mode },
    },
  );
  const asked = [];
  client.setRequestHandler('elicitation/create', async (request) => {
    asked.push(request.params.message);
    const answer = request.params.message.includes('colo') ? { color: 'teal' } : { name: 'Ada' };
    return { action: 'accept', content: answer };
  });
  let toolsChanged;
  const toolsChangedSeen = new Promise((resolve) => {
    toolsChanged = resolve;
  });
  client.setNotificationHandler('notifications/tools/list_changed', (n) => toolsChanged(n));

  const transport = new StreamableHTTPClientTransport(url, { fetch: recordingFetch });
  await within(client.connect(transport), 'connect');
  result.era = client.getProtocolEra();
  result.protocolVersion = client.getNegotiatedProtocolVersion();
  const expected = modern ? MODERN : LEGACY;
  check(`connect: ${modern ? 'modern' : 'legacy'} era`, result.era === (modern ? 'modern' : 'legacy'), result.era);
  check(`connect: revision ${expected}`, result.protocolVersion === expected, result.protocolVersion);
  if (modern) {
    check(
      'connect: first request is server/discover, no initialize, no session',
      wire[0]?.method === 'server/discover' &&
        wire[0]?.status === 200 &&
        wire.every((w) => w.method !== 'initialize' && w.session === null) &&
        transport.sessionId === undefined,
      JSON.stringify(wire),
    );
    const discover = client.getDiscoverResult();
    check(
      'server/discover: supportedVersions has 2026-07-28, server identified',
      discover?.supportedVersions?.includes(MODERN) &&
        client.getServerVersion()?.name === 'servicekit-mcp-demo',
      JSON.stringify({ versions: discover?.supportedVersions, server: client.getServerVersion() }),
    );
  } else {
    check(
      'connect: server/discover refused with 400, then initialize without the 2026 header',
      wire[0]?.method === 'server/discover' &&
        wire[0]?.status === 400 &&
        wire[1]?.method === 'initialize' &&
        wire[1]?.version === null &&
        wire[1]?.status === 200,
      JSON.stringify(wire.slice(0, 2)),
    );
    check(
      'initialize: session issued, server identified',
      /^[0-9a-f]{32}$/.test(transport.sessionId ?? '') &&
        client.getServerVersion()?.name === 'servicekit-mcp-demo',
      JSON.stringify({ session: transport.sessionId, server: client.getServerVersion() }),
    );
  }

  const tools = await within(client.listTools(), 'tools/list');
  const names = tools.tools.map((t) => t.name);
  check(
    'tools/list',
    names.includes('test_simple_text') &&
      names.includes('test_input_required_result_elicitation') &&
      names.includes('test_trigger_tool_change'),
    names.length,
  );

  const simple = await within(
    client.callTool({ name: 'test_simple_text', arguments: {} }),
    'tools/call test_simple_text',
  );
  check(
    'tools/call: text answer',
    simple.content[0]?.text === 'This is a simple text response for testing.',
    JSON.stringify(simple.content),
  );

  const read = await within(client.readResource({ uri: 'test://static-text' }), 'resources/read');
  check(
    'resources/read test://static-text',
    read.contents[0]?.text === 'This is the content of the static text resource.' &&
      read.contents[0]?.uri === 'test://static-text',
    JSON.stringify(read.contents),
  );

  const before = wire.length;
  const greeted = await within(
    client.callTool({ name: 'test_input_required_result_elicitation', arguments: {} }),
    'tools/call test_input_required_result_elicitation',
  );
  const rounds = wire.slice(before).filter((w) => w.method === 'tools/call').length;
  // 2026-07-28: the first call gets input_required, the retry (new id, inputResponses) the
  // result. 2025-11-25: one call; the server's elicitation/create comes on its stream and the
  // client POSTs the answer.
  const answers = wire.slice(before).filter((w) => w.method === null && w.http === 'POST').length;
  check(
    modern
      ? 'input_required: elicitation answered by the handler, retried, greeted'
      : 'elicitation/create on the call stream answered by the handler, greeted',
    greeted.content[0]?.text === 'Hello, Ada!' &&
      asked.length === 1 &&
      (modern ? rounds === 2 && answers === 0 : rounds === 1 && answers === 1),
    JSON.stringify({ text: greeted.content[0]?.text, asked, rounds, answers }),
  );

  const multi = await within(
    client.callTool({ name: 'test_input_required_result_multi_round', arguments: {} }),
    'tools/call test_input_required_result_multi_round',
  );
  check(
    modern ? 'input_required: two rounds answered' : 'elicitation: two questions answered',
    multi.content[0]?.text === 'Ada likes teal' && asked.length === 3,
    JSON.stringify({ text: multi.content[0]?.text, asked }),
  );

  let subscription;
  if (modern) {
    subscription = await within(
      client.listen({ toolsListChanged: true }),
      'subscriptions/listen acknowledged',
    );
    check(
      'subscriptions/listen: acknowledged with toolsListChanged',
      subscription.honoredFilter?.toolsListChanged === true,
      JSON.stringify(subscription.honoredFilter),
    );
  } else {
    // After initialize the transport opens the session's standalone GET stream by itself;
    // list changes are announced there, so wait for it before triggering one.
    await within(
      until(() => wire.some((w) => w.http === 'GET' && w.status === 200)),
      'the session GET stream: ' + JSON.stringify(wire.filter((w) => w.http === 'GET')),
    );
    check('legacy: the session GET stream is open', true);
  }
  const triggered = await within(
    client.callTool({ name: 'test_trigger_tool_change', arguments: {} }),
    'tools/call test_trigger_tool_change',
  );
  check(
    'tools/call test_trigger_tool_change',
    triggered.content[0]?.text === 'tools/list_changed sent',
    JSON.stringify(triggered.content),
  );
  const notification = await within(toolsChangedSeen, 'notifications/tools/list_changed');
  check(
    modern
      ? 'listen: notifications/tools/list_changed received'
      : 'GET stream: notifications/tools/list_changed received',
    notification.method === 'notifications/tools/list_changed',
    JSON.stringify(notification),
  );
  if (modern) {
    await closeListen(subscription);
  } else {
    check(
      'legacy: no 2026-07-28 header after the probe',
      wire.slice(1).every((w) => w.version !== MODERN),
      JSON.stringify(wire),
    );
  }
  await client.close();
}

async function closeListen(subscription) {
  await within(subscription.close(), 'listen close');
  check('listen: closed locally', (await within(subscription.closed, 'listen closed')) === 'local');
  const cancelled = wire.filter((w) => w.method === 'notifications/cancelled');
  check(
    'listen: the closing notifications/cancelled is accepted with 202',
    cancelled.length === 1 && cancelled[0].status === 202,
    JSON.stringify(cancelled),
  );

  // Mcp-Method is required on requests; the spec sets no header rules for notification POSTs
  // (the client's notifications/cancelled that ends the listen is sent without it).
  check(
    'wire: every POST carries MCP-Protocol-Version 2026-07-28, every request Mcp-Method',
    wire.length > 0 &&
      wire.every(
        (w) => w.http === 'POST' && w.version === MODERN && (!w.request || w.mcpMethod === w.method),
      ),
    JSON.stringify(wire),
  );
}

try {
  await run();
} catch (e) {
  check('no exception', false, e && e.stack ? e.stack : e);
}
const ok = checks.length > 0 && checks.every((c) => c.ok);
console.log(JSON.stringify({ ok, sdk, ...result, wire, checks }));
process.exit(ok ? 0 : 1);
