// Resumes a ServiceKit SSE feed with the npm `eventsource` package (an independent client).
//
// usage: node resume.mjs <feed-url> <events-wanted> <min-reconnects>
//
// The feed URL should make the server end the stream every few events (the demo's
// `?closeAfter=N`), so that the client reconnects with Last-Event-ID while the feed keeps ticking.
// Prints one JSON line and exits 0 when the ticks it saw are contiguous by their `seq` (no loss)
// and no event id came twice (no duplicate) across at least <min-reconnects> reconnects; exits 1
// otherwise. Ids are opaque strings (`<epoch>-<n>`): they are only compared for equality.
import { EventSource } from 'eventsource';

const [url, wantArg, minReconnectsArg] = process.argv.slice(2);
const want = Number(wantArg);
const minReconnects = Number(minReconnectsArg);
if (!url || !(want > 0) || !(minReconnects >= 0)) {
  console.error('usage: node resume.mjs <feed-url> <events-wanted> <min-reconnects>');
  process.exit(2);
}

const ids = [];
const seqs = [];
const problems = [];
let opens = 0;
const source = new EventSource(url);

function finish() {
  source.close();
  clearTimeout(timer);
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i] !== seqs[i - 1] + 1) {
      problems.push(`tick ${seqs[i]} (id ${ids[i]}) follows tick ${seqs[i - 1]} (id ${ids[i - 1]})`);
    }
  }
  const distinct = new Set(ids);
  if (distinct.size !== ids.length) {
    problems.push(`${ids.length - distinct.size} duplicate id(s)`);
  }
  if (ids.some((id) => !/^[0-9a-z]{8}-[1-9][0-9]*$/.test(id))) {
    problems.push(`an id is not <epoch>-<n>: ${ids.find((id) => !/^[0-9a-z]{8}-[1-9][0-9]*$/.test(id))}`);
  }
  if (opens - 1 < minReconnects) {
    problems.push(`only ${opens - 1} reconnects, wanted ${minReconnects}`);
  }
  const ok = problems.length === 0 && ids.length >= want;
  console.log(JSON.stringify({ ok, opens, reconnects: opens - 1, count: ids.length,
    first: seqs[0], last: seqs[seqs.length - 1], firstId: ids[0], lastId: ids[ids.length - 1], problems }));
  process.exit(ok ? 0 : 1);
}

const timer = setTimeout(() => {
  problems.push(`timed out with ${ids.length} of ${want} events`);
  finish();
}, 60_000);

source.addEventListener('open', () => { opens++; });
source.addEventListener('tick', (e) => {
  ids.push(e.lastEventId);
  seqs.push(JSON.parse(e.data).seq);
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
