// The fault suite, WebSocket side, through the real binary: connection churn
// and overload must leave nothing behind (memory, descriptors), and refusals
// must be exact. (Shutdown under load is in lifecycle.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, connect, waitUntil } from '../../support/araldo.mjs';

const config = (extra = '') => `global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-websocket, path: /chat${extra}}
routes:
  chat: [chat]
`;

// Client sockets spread over 127.0.0.2-51: tens of thousands of connections
// leave as many TIME_WAIT entries, too many for one address pair's ports.
const source = (i) => `127.0.0.${2 + (i % 50)}`;

const clients = (relay) => relay.metric('araldo_ws_clients', { endpoint: 'chat' });

// `total` connect/close cycles, `concurrency` at a time; one in four ends
// abruptly (TCP reset without a close frame), the others with a close handshake.
async function cycles(relay, total, concurrency, first = 0) {
  let next = first;
  const end = first + total;
  async function worker() {
    while (next < end) {
      const i = next++;
      const ws = connect(relay.url('/chat'), { localAddress: source(i) });
      await ws.opened;
      if (i % 4 === 3) ws.terminate();
      else ws.close(1000);
      await ws.closed;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

// Waits until araldo holds as many descriptors as before: a closed connection
// leaves its descriptor shortly after the client sees the close.
const fdsBackTo = (relay, count) => waitUntil(() => relay.fdCount() <= count, 10000,
  () => `araldo's descriptors back to ${count} (now ${relay.fdCount()})`);

test('20 000 connect/close cycles, 250 at a time: memory and descriptors return to their baseline', async () => {
  // AddressSanitizer keeps freed memory in a quarantine (256 MiB by default) to
  // catch use after free: it would show as growth here, so it is kept small.
  const asan = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=1', 'thread_local_quarantine_size_kb=64'];
  const relay = await Relay.start(config(), { env: { ASAN_OPTIONS: asan.filter(Boolean).join(':') } });
  try {
    const fds = relay.fdCount();
    // Warm-up: the allocator's free lists and the relay's buffers reach their working size.
    await cycles(relay, 1000, 250);
    await waitUntil(async () => (await clients(relay)) === 0);
    await fdsBackTo(relay, fds);
    const rss = relay.rss();
    await cycles(relay, 20000, 250, 1000);
    await waitUntil(async () => (await clients(relay)) === 0);
    await fdsBackTo(relay, fds);
    const growth = relay.rss() - rss;
    console.log(`20000 cycles: RSS ${(rss / 1048576).toFixed(1)} MiB -> ${(relay.rss() / 1048576).toFixed(1)} MiB, ` +
      `descriptors ${fds} -> ${relay.fdCount()}`);
    // Anything kept per connection, even 100 bytes, adds up to 2 MB over 20 000;
    // what a session costs while connected (~1.5 KiB) would be 30 MB.
    assert.ok(growth < 2 * 1024 * 1024, `RSS grew by ${growth} bytes over 20 000 connections`);
    assert.equal(await relay.metric('araldo_ws_connections_total', { endpoint: 'chat' }), 21000);
    const lost = await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'connection_lost' });
    const closed = await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'client_close' });
    assert.equal(lost + closed, 21000);
  } finally {
    const { code } = await relay.stop();
    assert.equal(code, 0);
  }
});

test('3000 sockets against max-clients 1000: exactly 1000 accepted, 2000 refused with 503, no descriptor left behind', async () => {
  const relay = await Relay.start(config(', max-clients: 1000'));
  let all = [];
  try {
    const fds = relay.fdCount();
    all = Array.from({ length: 3000 }, (_, i) => connect(relay.url('/chat'), { localAddress: source(i) }));
    const results = await Promise.allSettled(all.map((c) => c.opened));
    const accepted = all.filter((c, i) => results[i].status === 'fulfilled');
    const statuses = results.filter((r) => r.status === 'rejected').map((r) => r.reason.status);
    assert.equal(accepted.length, 1000);
    assert.deepEqual([...new Set(statuses)], [503]);
    assert.equal(statuses.length, 2000);
    assert.equal(await clients(relay), 1000);
    const held = relay.fdCount();
    assert.equal(await relay.metric('araldo_ws_upgrades_refused_total', { endpoint: 'chat', reason: 'max_clients' }), 2000);
    // The accepted ones work: one message reaches all the others.
    accepted[0].send('hello');
    await waitUntil(() => accepted.slice(1).every((c) => c.received.length === 1), 20000);
    for (const c of accepted) c.close(1000);
    await Promise.all(accepted.map((c) => c.closed));
    await waitUntil(async () => (await clients(relay)) === 0);
    await fdsBackTo(relay, fds);
    console.log(`max-clients 1000: descriptors ${fds} -> ${held} with 1000 clients -> ${relay.fdCount()}`);
    // A freed place can be taken again.
    const again = connect(relay.url('/chat'));
    await again.opened;
    again.close();
    await again.closed;
  } finally {
    for (const c of all) c.terminate();
    const { code } = await relay.stop();
    assert.equal(code, 0);
  }
});
