// WebSocket over TLS (wss) through the real binary, on a TLS listener with a
// throwaway PKI (tests/support/make-test-pki): the `ws` client verifies the
// relay against the test CA, a client certificate's names become tls.cn and
// tls.san on what that client sends, and auth.client-certs decides who may
// upgrade. Large messages and a fan-out check that the session's TLS
// transport moves whole frames in order, however the records are cut.
//
// Needs the core's `global.listeners` (TLS listeners); it is not registered
// in CMake until the core has them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Relay, binary, connect, freePort, makeTestPki, upgradeStatus, waitUntil } from '../../support/araldo.mjs';

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
const config = ({ ws = '', endpoints = '', routes = 'chat: [chat]' } = {}) => `global:
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

// Relay.start waits for the plain listener's log line; a TLS listener says
// "listener public listening on 127.0.0.1:PORT".
const listening = /listener public listening on [^\s]*:(\d+)/;
async function start(yaml) {
  const dir = mkdtempSync(join(tmpdir(), 'araldo-wss-'));
  const file = join(dir, 'araldo.yaml');
  writeFileSync(file, yaml.replaceAll('{DIR}', dir));
  const proc = spawn(binary, ['-c', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const relay = new Relay(proc, dir);
  const reap = () => relay.signal('SIGKILL');
  process.on('exit', reap);
  relay.exited.then(() => process.off('exit', reap));
  await relay.waitForLog(listening, 15000);
  relay.port = Number(relay.stderr.match(listening)[1]);
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

test('a client certificate gives tls.cn and tls.san to every message of its connection', async () => {
  // What chat sends is also routed to a webhook that cannot be reached: with
  // one attempt, each message becomes a dead letter holding its attributes.
  const nobody = await freePort();
  const relay = await start(config({
    endpoints: `    - {name: audit, id: endpoint-webhook, url: "http://127.0.0.1:${nobody}/", retry-schedule: [0s]}`,
    routes: 'chat: [audit]',
  }));
  try {
    const withA = await open(relay, withCert('client'));
    const anonymous = await open(relay);
    withA.send('signed');
    anonymous.send('unsigned');
    const letters = join(relay.dir, 'data', 'webhook', 'audit', 'deadletters');
    const read = () => {
      try {
        return readdirSync(letters).filter((f) => f.endsWith('.json'))
          .map((f) => JSON.parse(readFileSync(join(letters, f), 'utf8')));
      } catch {
        return [];
      }
    };
    await waitUntil(() => read().length === 2, 15000, () => `two dead letters in ${letters}`);
    const byPayload = Object.fromEntries(read().map((d) => [d.payload, d.attributes]));
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
