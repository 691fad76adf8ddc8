// Liveness and shutdown through the real binary: pings, a client that never
// answers them, and SIGTERM closing every client with 1001.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Relay, connect, frame, waitUntil } from '../../support/araldo.mjs';

const config = (options = '') => `global:
  server-port: 0
  shutdown-timeout: 5s
plugins:
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-websocket, path: /chat${options}}
routes:
  chat: [chat]
`;

test('a client that does not answer pings is closed; one that does stays', async () => {
  const relay = await Relay.start(config(', ping-interval: 200ms, pong-timeout: 300ms'));
  try {
    const silent = connect(relay.url('/chat'), { autoPong: false });
    const alive = connect(relay.url('/chat'));
    let pings = 0;
    alive.on('ping', () => pings++);
    await Promise.all([silent.opened, alive.opened]);
    const closed = await silent.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'pong timeout');
    await waitUntil(() => pings >= 4, 5000);
    assert.equal(alive.readyState, alive.OPEN);
    assert.equal(await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'pong_timeout' }), 1);
  } finally {
    await relay.stop();
  }
});

test('a client that vanished without a word is closed by the ping timeout', async () => {
  const relay = await Relay.start(config(', ping-interval: 200ms, pong-timeout: 300ms'));
  try {
    // A raw socket that completes the handshake and then never writes: it
    // discards what it reads, so it notices when araldo closes the connection.
    const socket = net.connect(relay.port, '127.0.0.1');
    socket.resume();
    socket.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => {});
    await ended;  // araldo closed the connection
    assert.equal(await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'pong_timeout' }), 1);
  } finally {
    await relay.stop();
  }
});

test('clients that drop their connection are counted lost at once, and nothing of them stays', async () => {
  const relay = await Relay.start(config());
  try {
    const clients = Array.from({ length: 100 }, () => connect(relay.url('/chat')));
    await Promise.all(clients.map((c) => c.opened));
    assert.equal(await relay.metric('araldo_ws_clients', { endpoint: 'chat' }), 100);
    // Half go while messages are queued for them, half while idle.
    for (let i = 0; i < 50; i++) clients[i]._socket.pause();
    for (let n = 0; n < 200; n++) clients[99].send(JSON.stringify({ n, body: 'x'.repeat(4096) }));
    for (let i = 0; i < 98; i++) clients[i]._socket.destroy();
    await waitUntil(async () => (await relay.metric('araldo_ws_clients', { endpoint: 'chat' })) === 2, 5000);
    assert.equal(await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'connection_lost' }), 98);
    // The two left still get what is sent.
    await waitUntil(() => clients[98].received.length === 200, 5000);
    relay.signal('SIGTERM');
    const { code } = await relay.exited;
    await relay.stop();
    // Under AddressSanitizer a session never freed fails the exit code.
    assert.equal(code, 0, relay.stderr);
  } finally {
    await relay.stop();
  }
});

test('SIGTERM with 300 clients and messages in flight: each gets what was routed before it, then 1001; exit 0', async () => {
  const relay = await Relay.start(config());
  let mute;
  let sending = true;
  try {
    const clients = Array.from({ length: 300 }, () => connect(relay.url('/chat')));
    await Promise.all(clients.map((c) => c.opened));
    // One client that will never answer the close frame must not hold up the exit for long.
    mute = net.connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
    mute.on('error', () => {});
    mute.resume();
    mute.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await waitUntil(async () => (await relay.metric('araldo_ws_clients', { endpoint: 'chat' })) === 301);
    // Ten senders keep sending, each numbering its messages, until the relay closes them.
    const senders = clients.slice(0, 10);
    const pump = (async () => {
      for (let n = 0; sending; n++) {
        senders.forEach((s, from) => { if (s.readyState === s.OPEN) s.send(JSON.stringify({ from, n })); });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await waitUntil(() => clients[299].received.length >= 200, 20000);
    relay.signal('SIGTERM');
    const closes = await Promise.all(clients.map((c) => c.closed));
    sending = false;
    await pump;
    for (const c of closes) assert.deepEqual(c, { code: 1001, reason: 'going away' });
    // The endpoint stops taking messages all at once, and flushes what it had
    // queued before the close frame: every client got the same messages of
    // each sender (but its own), numbered from 0 without a gap.
    const got = clients.map((c) => c.received.map((m) => JSON.parse(m.data)));
    const counts = got.map((msgs) => senders.map((_, from) => msgs.filter((m) => m.from === from).length));
    got.forEach((msgs, i) => senders.forEach((_, from) => {
      const ns = msgs.filter((m) => m.from === from).map((m) => m.n);
      assert.deepEqual(ns, [...ns.keys()], `client ${i}, sender ${from}: in order, no gap`);
    }));
    const full = senders.map((_, from) => Math.max(...counts.map((c) => c[from])));
    counts.forEach((c, i) => senders.forEach((_, from) => {
      if (i !== from) assert.equal(c[from], full[from], `client ${i} got every message of sender ${from}`);
    }));
    const { code } = await relay.exited;
    await relay.stop();  // removes the temp dir
    assert.equal(code, 0);
    assert.match(relay.stderr, /closing 301 clients \(1001 going away\)/);
    assert.doesNotMatch(relay.stderr, /shutdown timeout/);
  } finally {
    sending = false;
    mute?.destroy();
    await relay.stop();
  }
});

test('a client that never answers the close frame is disconnected when the grace ends', async () => {
  const relay = await Relay.start(config());
  let socket;
  try {
    // Half open: after araldo's close frame and FIN this side stays open and
    // says nothing, so only the grace deadline can end the connection.
    socket = net.connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    let bytes = Buffer.alloc(0);
    socket.on('data', (d) => { bytes = Buffer.concat([bytes, d]); });
    const ended = new Promise((resolve) => socket.on('end', resolve));
    socket.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await waitUntil(() => bytes.includes('\r\n\r\n'));
    socket.write(frame(0x1, 'x', { rsv: 4 }));  // reserved bits: closed with 1002
    await ended;
    const close = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
    assert.equal(close[0], 0x88);
    assert.equal(close.readUInt16BE(2), 1002);
    // Still waiting for the answer (the grace is 5 s)...
    assert.equal(await relay.metric('araldo_ws_clients', { endpoint: 'chat' }), 1);
    // ...until the grace ends.
    await waitUntil(async () => (await relay.metric('araldo_ws_clients', { endpoint: 'chat' })) === 0, 15000);
    assert.equal(await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'protocol_error' }), 1);
  } finally {
    socket?.destroy();
    await relay.stop();
  }
});

test('pings are answered with their payload; fragmented messages are reassembled', async () => {
  const relay = await Relay.start(config());
  try {
    const a = connect(relay.url('/chat'));
    const b = connect(relay.url('/chat'));
    await Promise.all([a.opened, b.opened]);
    const pong = new Promise((resolve) => a.once('pong', (data) => resolve(data.toString())));
    a.ping('are you there?');
    assert.equal(await pong, 'are you there?');
    a.send('frag', { fin: false });
    a.ping('in between');  // a control frame between fragments is allowed
    a.send('ment', { fin: false });
    a.send('ed \u00e9', { fin: true });
    await waitUntil(() => b.received.length === 1);
    assert.equal(b.received[0].data.toString(), 'fragmented \u00e9');
  } finally {
    await relay.stop();
  }
});

test('bad options stop start-up with exit 2 and the place in the file', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { binary } = await import('../../support/araldo.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'araldo-ws-config-'));
  const check = (endpoints) => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `global:\n  server-port: 0\nplugins:\n  araldo.endpoints.endpoint:\n${endpoints}routes: {}\n`);
    return spawnSync(binary, ['-c', file], { encoding: 'utf8', timeout: 10000 });
  };
  try {
    let r = check('    - {name: a, id: endpoint-websocket, slow-consumer: sometimes}\n');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /c\.yaml:5:\d+: slow-consumer: must be one of: disconnect, drop-oldest; got 'sometimes'/);
    r = check('    - {name: a, id: endpoint-websocket, path: /same}\n    - {name: b, id: endpoint-websocket, path: /same}\n');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /c\.yaml:6:\d+: .*already registered/s);
    r = check('    - {name: a, id: endpoint-websocket, max-clients: 0}\n');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /max-clients.*must be at least 1/s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
