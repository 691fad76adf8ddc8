// Who may upgrade: Origin (403), tokens and JWTs (401), max-clients (503),
// all decided before the upgrade, through the real binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, connect, jwt, rawStatus, upgradeStatus, waitUntil } from '../../support/araldo.mjs';

const config = (options) => `global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-websocket, path: /chat${options}}
routes:
  chat: [chat]
`;

const now = () => Math.floor(Date.now() / 1000);

test('an Origin not allowed gets 403; listed origins and non-browsers get in', async () => {
  const relay = await Relay.start(config(', allowed-origins: [https://good.example]'));
  try {
    assert.equal(await upgradeStatus(relay.url('/chat'), { origin: 'https://evil.example' }), 403);
    assert.equal(await upgradeStatus(relay.url('/chat'), { origin: 'https://good.example' }), 101);
    assert.equal(await upgradeStatus(relay.url('/chat')), 101);
    assert.equal(await relay.metric('araldo_ws_upgrades_refused_total', { endpoint: 'chat', reason: 'origin' }), 1);
  } finally {
    await relay.stop();
  }
});

test('by default only the listener\'s own origin is allowed', async () => {
  const relay = await Relay.start(config(''));
  try {
    assert.equal(await upgradeStatus(relay.url('/chat'), { origin: `http://127.0.0.1:${relay.port}` }), 101);
    assert.equal(await upgradeStatus(relay.url('/chat'), { origin: 'http://127.0.0.1:1' }), 403);
    assert.equal(await upgradeStatus(relay.url('/chat'), { origin: 'https://evil.example' }), 403);
  } finally {
    await relay.stop();
  }
});

test('static tokens from the environment: missing or wrong gets 401, header or ?token= gets in', async () => {
  const relay = await Relay.start(config(', auth: {tokens: ["${WS_TOKEN}", other-token]}'), { env: { WS_TOKEN: 'env-secret' } });
  try {
    assert.equal(await upgradeStatus(relay.url('/chat')), 401);
    assert.equal(await upgradeStatus(relay.url('/chat', '?token=wrong')), 401);
    assert.equal(await upgradeStatus(relay.url('/chat'), { headers: { Authorization: 'Bearer nope' } }), 401);
    assert.equal(await upgradeStatus(relay.url('/chat', '?token=env-secret')), 101);
    assert.equal(await upgradeStatus(relay.url('/chat', '?token=other-token')), 101);
    assert.equal(await upgradeStatus(relay.url('/chat'), { headers: { Authorization: 'Bearer env-secret' } }), 101);
    assert.equal(await relay.metric('araldo_ws_upgrades_refused_total', { endpoint: 'chat', reason: 'auth' }), 3);
  } finally {
    await relay.stop();
  }
});

test('JWT: expired, not yet valid, alg none and a wrong key get 401; a valid one gets in', async () => {
  const secret = 'jwt-key-for-tests';
  const relay = await Relay.start(config(`, auth: {jwt-secret: ${secret}}`));
  try {
    const status = (token) => upgradeStatus(relay.url('/chat'), { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(await status(jwt({ sub: 'alice', exp: now() + 60 }, secret)), 101);
    assert.equal(await upgradeStatus(relay.url('/chat', `?token=${jwt({ sub: 'alice' }, secret)}`)), 101);
    assert.equal(await status(jwt({ sub: 'alice', exp: now() - 1 }, secret)), 401);
    assert.equal(await status(jwt({ sub: 'alice', nbf: now() + 60 }, secret)), 401);
    assert.equal(await status(jwt({ sub: 'alice' }, secret, { alg: 'none', typ: 'JWT' })), 401);
    assert.equal(await status(jwt({ sub: 'alice' }, 'another-key')), 401);
    assert.equal(await status('not.a.jwt'), 401);
    assert.equal(await upgradeStatus(relay.url('/chat')), 401);
  } finally {
    await relay.stop();
  }
});

test('a connection whose JWT expires is closed with 1008', async () => {
  const secret = 'k';
  const relay = await Relay.start(config(`, auth: {jwt-secret: ${secret}}`));
  try {
    const c = connect(relay.url('/chat'), { headers: { Authorization: `Bearer ${jwt({ exp: Date.now() / 1000 + 1.5 }, secret)}` } });
    await c.opened;
    const closed = await c.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'token expired');
  } finally {
    await relay.stop();
  }
});

test('beyond max-clients an upgrade gets 503; a freed place can be taken again', async () => {
  const relay = await Relay.start(config(', max-clients: 3'));
  try {
    const clients = [connect(relay.url('/chat')), connect(relay.url('/chat')), connect(relay.url('/chat'))];
    await Promise.all(clients.map((c) => c.opened));
    assert.equal(await upgradeStatus(relay.url('/chat')), 503);
    clients[0].close();
    await clients[0].closed;
    await waitUntil(async () => (await relay.metric('araldo_ws_clients', { endpoint: 'chat' })) === 2);
    assert.equal(await upgradeStatus(relay.url('/chat')), 101);
    assert.equal(await relay.metric('araldo_ws_upgrades_refused_total', { endpoint: 'chat', reason: 'max_clients' }), 1);
  } finally {
    await relay.stop();
  }
});

test('a bad WebSocket version gets 426, a plain GET 426 from the listener, a bad key 400', async () => {
  const relay = await Relay.start(config(''));
  try {
    const raw = (version, key) => rawStatus(relay.port,
      `GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: ${version}\r\nSec-WebSocket-Key: ${key}\r\n\r\n`);
    assert.equal(await raw('8', 'dGhlIHNhbXBsZSBub25jZQ=='), 426);
    // A plain GET (no Upgrade) is answered by the listener, never reaching the
    // endpoint's checks: 426 naming the protocol, and nothing counted as a refused upgrade.
    const plain = await fetch(`http://127.0.0.1:${relay.port}/chat`);
    assert.equal(plain.status, 426);
    assert.equal(plain.headers.get('upgrade'), 'websocket');
    assert.equal(await relay.metric('araldo_ws_upgrades_refused_total', { endpoint: 'chat', reason: 'bad_request' }), 1);
    assert.equal(await raw('13', 'short'), 400);
    assert.equal(await raw('13', 'dGhlIHNhbXBsZSBub25jZQ=='), 101);
  } finally {
    await relay.stop();
  }
});
