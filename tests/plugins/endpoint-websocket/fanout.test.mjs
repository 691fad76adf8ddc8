// Fan-out through the real binary with real clients (npm `ws`): every client
// receives every message in order; the sender only with echo: true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, connect, waitUntil } from '../../support/araldo.mjs';

const config = ({ echo = false, marshalling = 'json' } = {}) => `global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
    - {name: raw, id: marshal-raw}
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-websocket, path: /chat, marshalling: ${marshalling}, echo: ${echo}}
routes:
  chat: [chat]
`;

async function connectAll(relay, n) {
  const clients = Array.from({ length: n }, () => connect(relay.url('/chat')));
  await Promise.all(clients.map((c) => c.opened));
  return clients;
}

async function fanOut(echo) {
  const relay = await Relay.start(config({ echo }));
  try {
    const clients = await connectAll(relay, 50);
    const [sender, ...others] = clients;
    const sent = [];
    for (let i = 0; i < 1000; i++) {
      const text = JSON.stringify({ type: 'chat', parameters: { n: i, text: `message ${i} \u00e9\u{1F600}` } });
      sent.push(text);
      sender.send(text);
    }
    const expectSender = echo ? 1000 : 0;
    await waitUntil(() => others.every((c) => c.received.length >= 1000) && sender.received.length >= expectSender,
      30000, () => `all messages (min received ${Math.min(...others.map((c) => c.received.length))})`);
    for (const c of others) {
      assert.deepEqual(c.received.map((m) => m.data.toString()), sent);
      assert.ok(c.received.every((m) => !m.isBinary));
    }
    if (echo) assert.deepEqual(sender.received.map((m) => m.data.toString()), sent);
    // Nothing more arrives for the sender without echo.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sender.received.length, expectSender);
    assert.equal(await relay.metric('araldo_ws_clients', { endpoint: 'chat' }), 50);
    assert.equal(await relay.metric('araldo_ws_frames_in_total', { endpoint: 'chat' }), 1000);
    assert.equal(await relay.metric('araldo_ws_frames_out_total', { endpoint: 'chat' }), 49000 + expectSender);
    for (const c of clients) c.close(1000);
    const closes = await Promise.all(clients.map((c) => c.closed));
    assert.ok(closes.every((c) => c.code === 1000));
    await waitUntil(async () => (await relay.metric('araldo_ws_clients', { endpoint: 'chat' })) === 0);
    assert.equal(await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'client_close' }), 50);
  } finally {
    await relay.stop();
  }
}

test('50 clients, 1000 messages from one: all others receive all in order, the sender none (echo false)', () => fanOut(false));

test('50 clients, 1000 messages from one: everyone, the sender too, receives all in order (echo true)', () => fanOut(true));

test('binary frames pass through marshal-raw unchanged', async () => {
  const relay = await Relay.start(config({ marshalling: 'raw' }));
  try {
    const [a, b, c] = await connectAll(relay, 3);
    const payloads = [];
    for (let i = 0; i < 200; i++) {
      const p = Buffer.alloc(1 + ((i * 37) % 3000));
      for (let j = 0; j < p.length; j++) p[j] = (i * 31 + j * 7) & 0xff;  // not UTF-8
      payloads.push(p);
      a.send(p, { binary: true });
    }
    await waitUntil(() => b.received.length >= 200 && c.received.length >= 200);
    assert.ok(b.received.every((m) => m.isBinary));
    assert.deepEqual(b.received.map((m) => m.data), payloads);
    assert.deepEqual(c.received.map((m) => m.data), payloads);
    b.send(Buffer.from([0xff, 0x00, 0xfe]), { binary: true });
    await waitUntil(() => c.received.length >= 201 && a.received.length >= 1);
    assert.deepEqual(a.received[0].data, Buffer.from([0xff, 0x00, 0xfe]));
    // A text frame through marshal-raw stays text.
    a.send('plain text');
    await waitUntil(() => b.received.length >= 201);
    assert.equal(b.received[200].isBinary, false);
    assert.equal(b.received[200].data.toString(), 'plain text');
    assert.deepEqual(c.received[200].data, Buffer.from([0xff, 0x00, 0xfe]));
  } finally {
    await relay.stop();
  }
});

test('messages from another endpoint reach every client (push notifications)', async () => {
  const relay = await Relay.start(`global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: feed, id: endpoint-websocket, path: /feed, marshalling: json}
    - {name: publisher, id: endpoint-websocket, path: /publish, marshalling: json}
routes:
  publisher: [feed]
`);
  try {
    const readers = Array.from({ length: 5 }, () => connect(relay.url('/feed')));
    const pub = connect(relay.url('/publish'));
    await Promise.all([...readers, pub].map((c) => c.opened));
    for (let i = 0; i < 100; i++) pub.send(JSON.stringify({ type: 'notice', n: i }));
    await waitUntil(() => readers.every((r) => r.received.length >= 100));
    for (const r of readers) assert.deepEqual(r.received.map((m) => JSON.parse(m.data).n), [...Array(100).keys()]);
    assert.equal(pub.received.length, 0);
  } finally {
    await relay.stop();
  }
});

test('a text payload that is not UTF-8 goes out as a binary frame, never as broken text', async () => {
  // endpoint-file reads stdin lines as text messages, bytes as they came.
  const relay = await Relay.start(`global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: feed, id: endpoint-websocket, path: /feed}
    - {name: lines, id: endpoint-file, input: "-"}
routes:
  lines: [feed]
`, { stdin: 'pipe' });
  try {
    const c = connect(relay.url('/feed'));
    await c.opened;
    relay.proc.stdin.write(Buffer.concat([Buffer.from('caf\u00e9 ok\n'), Buffer.from([0x62, 0x61, 0x64, 0xff, 0x0a])]));
    await waitUntil(() => c.received.length === 2, 10000);
    assert.equal(c.received[0].isBinary, false);
    assert.equal(c.received[0].data.toString(), 'caf\u00e9 ok');
    assert.equal(c.received[1].isBinary, true);
    assert.deepEqual(c.received[1].data, Buffer.from([0x62, 0x61, 0x64, 0xff]));
  } finally {
    await relay.stop();
  }
});
