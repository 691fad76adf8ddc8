// WebSocket over TLS (wss) through the real binary, on a TLS listener with a
// throwaway PKI (tests/support/make-test-pki): the `ws` client verifies the
// relay against the test CA, a client certificate's names become tls.cn and
// tls.san on what that client sends, and auth.client-certs decides who may
// upgrade. Large messages and a fan-out check that the session's TLS
// transport moves whole frames in order, however the records are cut.
//
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import tlsClient from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Relay, connect, makeTestPki, upgradeStatus, waitUntil } from '../../support/araldo.mjs';

let pkiDir;
let pki;
let tls;  // the client side: the test CA, read once

before(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'araldo-wss-pki-'));
  pki = makeTestPki(pkiDir);
  tls = { ca: readFileSync(pki('ca.pem')) };
});

after(() => rmSync(pkiDir, { recursive: true, force: true }));

const withCert = (name) => ({ ...tls, cert: readFileSync(pki(`${name}.pem`)), key: readFileSync(pki(`${name}.key`)) });

// A TLS listener named public; `endpoints` are more lines of the endpoint list.
const config = ({ ws = '', endpoints = '', routes = 'chat: [chat]', admin = false } = {}) => `global:
  ${admin ? 'admin-token: wss-test' : ''}
  listeners:
    - name: public
      port: 0
      bind: 127.0.0.1
      tls: {cert: "${pki('server.pem')}", key: "${pki('server.key')}", ca: "${pki('ca.pem')}", client-certs: optional}
plugins:
  araldo.marshalling:
    - {name: raw, id: marshal-raw}
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-websocket, path: /ws, marshalling: raw${ws}}
${endpoints}
routes:
  ${routes}
`;

async function start(yaml) {
  const relay = await Relay.start(yaml);
  relay.port = relay.ports.public;
  return relay;
}

// localhost is in the server certificate; IPv4, where the listener is bound.
const url = (relay) => `wss://localhost:${relay.port}/ws`;
const open = async (relay, options = tls) => {
  const c = connect(url(relay), { family: 4, ...options });
  await c.opened;
  return c;
};

test('a ws client verifies the relay with the test CA and messages go both ways', async () => {
  const relay = await start(config());
  try {
    // Without the CA the client refuses the relay's certificate.
    const untrusting = connect(url(relay), { family: 4 });
    await assert.rejects(untrusting.opened);
    const a = await open(relay);
    const b = await open(relay);
    a.send('from a');
    await waitUntil(() => b.received.length === 1);
    b.send('from b');
    await waitUntil(() => a.received.length === 1);
    assert.equal(b.received[0].data.toString(), 'from a');
    assert.equal(a.received[0].data.toString(), 'from b');
    a.close(1000);
    b.close(1000);
    assert.equal((await a.closed).code, 1000);
    assert.equal((await b.closed).code, 1000);
  } finally {
    await relay.stop();
  }
});

// A masked client text frame (RFC 6455 5.2), as the relay must receive it.
function clientFrame(text) {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

test('frames sent in the same flight as the upgrade request reach the relay at once', async () => {
  // The listener reads ahead: the records of these frames may already sit in
  // OpenSSL's buffer when the WebSocket session takes the connection over,
  // with nothing left on the socket to wake it (has_buffered() must see them).
  // Whether Node puts them in records of their own is up to Node: this checks
  // the outcome, and does not prove which path the bytes took.
  const relay = await start(config());
  const socket = tlsClient.connect({ host: '127.0.0.1', port: relay.port, servername: 'localhost', ...tls });
  const secured = new Promise((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  try {
    const listener = await open(relay);
    await secured;
    const request = 'GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
      + `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    // In one go, not waiting for the 101.
    socket.write(request);
    socket.write(clientFrame('first'));
    socket.write(clientFrame('second'));
    await waitUntil(() => listener.received.length === 2);
    assert.deepEqual(listener.received.map((m) => m.data.toString()), ['first', 'second']);
    listener.close(1000);
  } finally {
    socket.destroy();
    await relay.stop();
  }
});

test('a client certificate gives tls.cn and tls.san to every message of its connection', async () => {
  // What chat sends is also routed to endpoint-mock, whose admin route shows
  // the attributes each message carries.
  const relay = await start(config({
    admin: true,
    endpoints: '    - {name: audit, id: endpoint-mock}',
    routes: 'chat: [audit]',
  }));
  try {
    const withA = await open(relay, withCert('client'));
    const anonymous = await open(relay);
    withA.send('signed');
    anonymous.send('unsigned');
    const read = () => new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', servername: 'localhost', port: relay.port, ca: tls.ca, agent: false,
        path: '/_admin/endpoints/audit/received', headers: { authorization: 'Bearer wss-test' } }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve(JSON.parse(body)));
      }).on('error', reject);
    });
    let seen = [];
    await waitUntil(async () => (seen = await read()).length === 2, 15000, () => 'two messages at audit');
    const byPayload = Object.fromEntries(seen.map((d) => [d.payload, d.attributes]));
    assert.equal(byPayload.signed['tls.cn'], 'client-a');
    assert.equal(byPayload.signed['tls.san'], 'client-a.example spiffe://araldo.test/client-a');
    assert.match(byPayload.signed['ws.client'], /^\d+$/);
    assert.equal(byPayload.unsigned['tls.cn'], undefined);
    assert.equal(byPayload.unsigned['tls.san'], undefined);
    assert.match(byPayload.unsigned['ws.client'], /^\d+$/);
    withA.close(1000);
    anonymous.close(1000);
  } finally {
    await relay.stop();
  }
});

test('auth client-certs: no certificate and an unlisted one get 401, the listed one gets in', async () => {
  const relay = await start(config({ ws: ', auth: {client-certs: [client-a]}' }));
  try {
    const status = (options) => upgradeStatus(url(relay), { family: 4, ...options });
    assert.equal(await status(tls), 401);
    assert.equal(await status(withCert('client-b')), 401);
    assert.equal(await status(withCert('client')), 101);
    assert.match(relay.stderr, /refused: a client certificate is required/);
    assert.match(relay.stderr, /refused: client certificate client-b is not allowed/);
    // An accepted client is a working one.
    const a = await open(relay, withCert('client'));
    const b = await open(relay, withCert('client'));
    a.send('hello');
    await waitUntil(() => b.received.length === 1);
    assert.equal(b.received[0].data.toString(), 'hello');
    a.close(1000);
    b.close(1000);
  } finally {
    await relay.stop();
  }
});

test('a 1 MiB message each way arrives whole', async () => {
  const relay = await start(config({ ws: ', max-message-size: 2MiB' }));
  try {
    const a = await open(relay);
    const b = await open(relay);
    const up = randomBytes(1024 * 1024);
    const down = randomBytes(1024 * 1024);
    a.send(up);
    await waitUntil(() => b.received.length === 1, 30000);
    b.send(down);
    await waitUntil(() => a.received.length === 1, 30000);
    assert.ok(b.received[0].isBinary);
    assert.ok(Buffer.compare(b.received[0].data, up) === 0, 'a to b: the bytes differ');
    assert.ok(Buffer.compare(a.received[0].data, down) === 0, 'b to a: the bytes differ');
    a.close(1000);
    b.close(1000);
    assert.equal((await a.closed).code, 1000);
  } finally {
    await relay.stop();
  }
});

test('fan-out: 50 TLS clients each receive 200 messages in order', async () => {
  const relay = await start(config());
  try {
    const receivers = await Promise.all(Array.from({ length: 50 }, () => open(relay)));
    const sender = await open(relay);
    const sent = Array.from({ length: 200 }, (_, i) => `message ${i} ${'x'.repeat(i % 7 === 0 ? 5000 : 20)}`);
    for (const m of sent) sender.send(m);
    await waitUntil(() => receivers.every((c) => c.received.length >= 200), 60000,
      () => `all messages (min received ${Math.min(...receivers.map((c) => c.received.length))})`);
    for (const c of receivers) assert.deepEqual(c.received.map((m) => m.data.toString()), sent);
    assert.equal(sender.received.length, 0);
    for (const c of [...receivers, sender]) c.close(1000);
    const closes = await Promise.all([...receivers, sender].map((c) => c.closed));
    assert.ok(closes.every((c) => c.code === 1000));
  } finally {
    await relay.stop();
  }
});
