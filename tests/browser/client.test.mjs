// web/araldo.js under node, with npm `ws` standing in for the browser's
// WebSocket, against the real binary: token, JSON helpers, events, and
// reconnecting with backoff after the relay closes the connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { Relay, jwt, waitUntil } from '../websocket/lib/araldo.mjs';

const require = createRequire(import.meta.url);
const Araldo = require('../../web/araldo.js');

const config = (auth) => `global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-websocket, path: /chat, marshalling: json, auth: ${auth}}
routes:
  chat: [chat]
`;

function record(client) {
  const events = [];
  for (const type of ['open', 'message', 'close']) client.addEventListener(type, (e) => events.push({ type, ...e.detail }));
  return events;
}

test('connect with a token, publish and receive JSON', async () => {
  const relay = await Relay.start(config('{tokens: [t0ken]}'));
  const options = { token: 't0ken', WebSocket };
  const a = Araldo.connect(relay.url('/chat'), options);
  const b = Araldo.connect(relay.url('/chat'), options);
  const [ea, eb] = [record(a), record(b)];
  try {
    await waitUntil(() => a.connected && b.connected);
    assert.equal(a.publish('chat', { text: 'hi' }), true);
    assert.equal(a.send('not json'), true);
    await waitUntil(() => eb.some((e) => e.type === 'message'));
    const msg = eb.find((e) => e.type === 'message');
    assert.deepEqual(msg.json, { type: 'chat', parameters: { text: 'hi' } });
    assert.equal(msg.data, '{"type":"chat","parameters":{"text":"hi"}}');
    // The relay refused 'not json' (1007); the client reconnects by itself.
    await waitUntil(() => ea.filter((e) => e.type === 'open').length === 2);
    const close = ea.find((e) => e.type === 'close');
    assert.equal(close.code, 1007);
    assert.equal(close.willReconnect, true);
  } finally {
    a.close();
    b.close();
    await relay.stop();
  }
});

test('a refused token keeps retrying with backoff; a token function is asked again each time', async () => {
  const secret = 'k';
  const relay = await Relay.start(config(`{jwt-secret: ${secret}}`));
  let issued = 0;
  // The first token expires at once while connected; the second is refused; the third works.
  const token = () => {
    issued += 1;
    if (issued === 1) return jwt({ exp: Date.now() / 1000 + 1 }, secret);
    if (issued === 2) return 'garbage';
    return jwt({ exp: Date.now() / 1000 + 60 }, secret);
  };
  const client = Araldo.connect(relay.url('/chat'), { token, WebSocket, minDelay: 50, maxDelay: 200 });
  const events = record(client);
  try {
    await waitUntil(() => events.filter((e) => e.type === 'open').length === 2, 15000);
    const closes = events.filter((e) => e.type === 'close');
    assert.equal(closes[0].code, 1008);
    assert.equal(closes[0].reason, 'token expired');
    assert.equal(closes[1].code, 1006);  // the upgrade was refused with 401
    assert.ok(closes.every((c) => c.willReconnect && c.delay >= 0 && c.delay < 200));
    assert.equal(issued, 3);
  } finally {
    client.close();
    await relay.stop();
  }
});

test('full jitter: delays are random below a ceiling that doubles up to maxDelay', () => {
  const client = new Araldo.Client('ws://127.0.0.1:1/x', { WebSocket, minDelay: 100, maxDelay: 1000 });
  const random = Math.random;
  try {
    Math.random = () => 0.999999;
    const highs = Array.from({ length: 6 }, () => client.nextDelay());
    assert.deepEqual(highs, [99, 199, 399, 799, 999, 999]);
    Math.random = () => 0;
    assert.equal(client.nextDelay(), 0);
  } finally {
    Math.random = random;
  }
});

test('close() stops reconnecting', async () => {
  const relay = await Relay.start(config('{tokens: [t]}'));
  const client = Araldo.connect(relay.url('/chat'), { token: 't', WebSocket, minDelay: 10 });
  const events = record(client);
  try {
    await waitUntil(() => client.connected);
    client.close();
    await waitUntil(() => events.some((e) => e.type === 'close'));
    assert.equal(events.at(-1).willReconnect, false);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(events.filter((e) => e.type === 'open').length, 1);
  } finally {
    await relay.stop();
  }
});
