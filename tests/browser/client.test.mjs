// web/araldo.js under node, with npm `ws` standing in for the browser's
// WebSocket, against the real binary: token, JSON helpers, events,
// reconnecting with backoff after the relay closes the connection, and
// stopping when the relay refuses the client. The retry rules themselves are
// also driven through a scripted WebSocket, without sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { Relay, jwt, waitUntil } from '../support/araldo.mjs';

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
  for (const type of ['open', 'message', 'close', 'refused']) client.addEventListener(type, (e) => events.push({ type, ...e.detail }));
  return events;
}

// A WebSocket whose life the test scripts: every instance is kept, and the
// test calls open() and close(code, reason) on it as a browser would report them.
function scriptedSocket() {
  const made = [];
  class Fake {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      made.push(this);
    }
    open() { this.readyState = 1; this.onopen?.({}); }
    close(code = 1006, reason = '') { this.readyState = 3; this.onclose?.({ code, reason }); }
    send() {}
  }
  return { Fake, made };
}

// The client has nothing scheduled and no socket: it will not connect again by itself.
const idle = (client) => client.timer === null && client.socket === null;

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

test('after a first open, a token function is asked for a fresh token on every attempt, refusals are retried', async () => {
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

test('a wrong token: the client gives up after maxFailures upgrades, and the relay saw exactly those', async () => {
  const relay = await Relay.start(config('{tokens: [right]}'));
  const client = Araldo.connect(relay.url('/chat'), { token: 'wrong', WebSocket, minDelay: 10, maxDelay: 40, maxFailures: 4 });
  const events = record(client);
  try {
    await waitUntil(() => events.some((e) => e.type === 'refused'));
    const refused = events.find((e) => e.type === 'refused');
    assert.equal(refused.code, 1006);  // what a browser reports for a 401 at the upgrade
    assert.equal(refused.attempts, 4);
    assert.equal(events.filter((e) => e.type === 'close').length, 4);
    assert.equal(events.at(-2).willReconnect, false);
    assert.ok(idle(client));
    assert.equal(await relay.metric('araldo_ws_upgrades_refused_total', { endpoint: 'chat', reason: 'auth' }), 4);
    // open() starts over, as a new client would.
    client.options.token = 'right';
    client.open();
    await waitUntil(() => client.connected);
  } finally {
    client.close();
    await relay.stop();
  }
});

test('a static token that expires while connected is terminal: 1008 "token expired", no retry', async () => {
  const secret = 'k';
  const relay = await Relay.start(config(`{jwt-secret: ${secret}}`));
  const client = Araldo.connect(relay.url('/chat'), { token: jwt({ exp: Date.now() / 1000 + 1 }, secret), WebSocket, minDelay: 10 });
  const events = record(client);
  try {
    await waitUntil(() => events.some((e) => e.type === 'refused'), 15000);
    assert.deepEqual(events.map((e) => e.type), ['open', 'close', 'refused']);
    assert.equal(events[2].code, 1008);
    assert.equal(events[2].reason, 'token expired');
    assert.ok(idle(client));
    assert.equal(await relay.metric('araldo_ws_connections_total', { endpoint: 'chat' }), 1);
  } finally {
    client.close();
    await relay.stop();
  }
});

test('which closes are terminal', () => {
  const terminal = (code, reason = '', renewable = false) => Araldo.isTerminal(code, reason, renewable);
  for (const code of [1002, 1003, 1008, 1010, 4000, 4401, 4999]) assert.equal(terminal(code), true, `${code}`);
  for (const code of [1000, 1001, 1005, 1006, 1007, 1009, 1011, 1012, 1013, 1014, 3000]) assert.equal(terminal(code), false, `${code}`);
  assert.equal(terminal(1008, 'slow consumer'), false);
  assert.equal(terminal(1008, 'pong timeout'), false);
  assert.equal(terminal(1008, 'token expired'), true);
  assert.equal(terminal(1008, 'token expired', true), false);
});

test('retry rules: failures before any open are bounded, after one they are not; terminal closes stop at once', async () => {
  const { Fake, made } = scriptedSocket();
  const client = Araldo.connect('ws://x/chat', { WebSocket: Fake, minDelay: 1, maxDelay: 2, maxFailures: 3 });
  const events = record(client);
  const next = async (n) => { await waitUntil(() => made.length === n); return made[n - 1]; };
  (await next(1)).close();
  (await next(2)).close();
  (await next(3)).open();  // the bound counts failures in a row
  made[2].close(1001, 'going away');
  for (let n = 4; n < 14; n++) (await next(n)).close();  // a relay down for long: retried without end
  (await next(14)).open();
  made[13].close(1008, 'slow consumer');  // a new connection may keep up
  (await next(15)).open();
  made[14].close(4403, 'forbidden');
  assert.equal(events.at(-1).type, 'refused');
  assert.deepEqual({ code: events.at(-1).code, reason: events.at(-1).reason }, { code: 4403, reason: 'forbidden' });
  assert.ok(idle(client));
  assert.equal(made.length, 15);

  const fresh = scriptedSocket();
  const never = Araldo.connect('ws://x/chat', { WebSocket: fresh.Fake, minDelay: 1, maxDelay: 2, maxFailures: 3 });
  const neverEvents = record(never);
  for (let n = 1; n <= 3; n++) {
    await waitUntil(() => fresh.made.length === n);
    fresh.made[n - 1].close();
  }
  assert.equal(neverEvents.at(-1).type, 'refused');
  assert.equal(neverEvents.at(-1).attempts, 3);
  assert.ok(idle(never));
});

test('the backoff only starts over once a connection has lasted stableAfter', async () => {
  const { Fake, made } = scriptedSocket();
  const client = Araldo.connect('ws://x/chat', { WebSocket: Fake, minDelay: 1, maxDelay: 1000, stableAfter: 60000 });
  const random = Math.random;
  Math.random = () => 0;  // no waiting: the ceilings are what is checked
  try {
    for (let n = 1; n <= 4; n++) {
      await waitUntil(() => made.length === n);
      made[n - 1].open();
      made[n - 1].close(1007, 'invalid JSON');  // closed at once, each time
    }
    assert.equal(client.attempt, 4, 'short-lived connections keep growing the backoff');
    await waitUntil(() => made.length === 5);
    made[4].open();
    client.openedAt -= 60000;  // as if it had lasted a minute
    made[4].close(1001, 'going away');
    assert.equal(client.attempt, 1, 'a lasting connection resets it');
  } finally {
    Math.random = random;
    client.close();
  }
});
