// Resumes a ServiceKit SSE feed with the npm `eventsource` package (an independent client).
//
// usage: node resume.mjs <feed-url> <events-wanted> <min-reconnects>
//
// The feed URL should make the server end the stream every few events (the demo's
// `?closeAfter=N`), so that the client reconnects with Last-Event-ID while the feed keeps ticking.
// Prints one JSON line and exits 0 when the ids it saw are contiguous (no loss, no duplicate)
// across at least <min-reconnects> reconnects; exits 1 otherwise.
import { EventSource } from 'eventsource';

const [url, wantArg, minReconnectsArg] = process.argv.slice(2);
const want = Number(wantArg);
const minReconnects = Number(minReconnectsArg);
if (!url || !(want > 0) || !(minReconnects >= 0)) {
  console.error('usage: node resume.mjs <feed-url> <events-wanted> <min-reconnects>');
  process.exit(2);
}

const ids = [];
const problems = [];
let opens = 0;
const source = new EventSource(url);

function finish() {
  source.close();
  clearTimeout(timer);
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] !== ids[i - 1] + 1) {
      problems.push(`id ${ids[i]} follows ${ids[i - 1]}`);
    }
  }
  if (opens - 1 < minReconnects) {
    problems.push(`only ${opens - 1} reconnects, wanted ${minReconnects}`);
  }
  const ok = problems.length === 0 && ids.length >= want;
  console.log(JSON.stringify({ ok, opens, reconnects: opens - 1, count: ids.length,
    first: ids[0], last: ids[ids.length - 1], problems }));
  process.exit(ok ? 0 : 1);
}

const timer = setTimeout(() => {
  problems.push(`timed out with ${ids.length} of ${want} events`);
  finish();
}, 60_000);

source.addEventListener('open', () => { opens++; });
source.addEventListener('tick', (e) => {
  ids.push(Number(e.lastEventId));
  if (ids.length >= want) finish();
});
source.addEventListener('resync', (e) => {
  problems.push(`unexpected resync: ${e.data}`);
  finish();
});
source.addEventListener('error', (e) => {
  // A stream the server ended is not an error to report; a refused connection is.
  if (source.readyState === EventSource.CLOSED) {
    problems.push(`connection failed for good: ${e.message ?? e.code ?? 'unknown'}`);
    finish();
  }
});
