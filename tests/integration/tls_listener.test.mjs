// TLS on the core's listeners, against the real araldo binary, with
// certificates the test makes with the openssl command (make-test-pki):
// https served and verified (curl and Node), routes limited to listeners,
// client certificates refused or accepted with their identity on the
// messages, a certificate renewed by SIGHUP for new connections while old
// ones stay, and handshake failures counted by reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Relay, binary, makeTestPki, waitUntil } from '../support/araldo.mjs';

const run = promisify(execFile);
const token = 'tls-test-admin-token';
let pkiDir;
let pki;

before(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'araldo-pki-'));
  pki = makeTestPki(pkiDir);
});
after(() => rmSync(pkiDir, { recursive: true, force: true }));

// A relay with a TLS listener "public" (cert and key at the given paths) and
// a plain "private" one for /metrics, /_health/ and the admin API; an
// endpoint-http "emit" on public only, routed to endpoint-mock "seen".
function config({ clientCerts = 'optional', cert = pki('server.pem'), key = pki('server.key'), extraTls = '' } = {}) {
  const ca = clientCerts === 'none' ? '' : `, ca: ${pki('ca.pem')}`;
  return `
global:
  admin-token: ${token}
  listeners:
    - {name: public, port: 0, tls: {cert: ${cert}, key: ${key}${ca}, client-certs: ${clientCerts}${extraTls}}}
    - {name: private, port: 0}
  core-listeners: [private]
plugins:
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, listeners: [public]}
    - {name: seen, id: endpoint-mock}
routes:
  emit: [seen]
`;
}

async function startRelay(options) {
  const relay = await Relay.start(config(options));
  relay.metricsPort = relay.ports.private;
  return relay;
}

// One HTTPS request on its own connection unless an agent is given; resolves
// {status, body, peerCn, reused} or rejects with the TLS error.
// ca, cert and key are file paths (or, for ca, [] to trust nothing).
function request(port, { path = '/emit', method = 'POST', body = '{"n":1}', agent = false, ...tlsOptions } = {}) {
  const pem = (v) => (typeof v === 'string' ? readFileSync(v) : v);
  const { ca = pki('ca.pem'), cert, key, ...rest } = tlsOptions;
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', servername: 'localhost', port, path, method, agent,
      headers: { 'content-type': 'application/json' },
      ca: pem(ca), cert: pem(cert), key: pem(key),
      ...rest,
    }, (res) => {
      // Now: a kept-alive socket is detached from the response once it ends.
      const peerCn = res.socket.getPeerCertificate().subject?.CN;
      const { alpnProtocol } = res.socket;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: text, peerCn, alpnProtocol, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : body);
  });
}

function plain(port, path) {
  return new Promise((resolve, reject) => {
    const req = net.connect(port, '127.0.0.1', () => req.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let text = '';
    req.on('data', (d) => { text += d; });
    req.on('end', () => resolve(Number(text.split(' ')[1])));
    req.on('error', reject);
  });
}

async function received(relay) {
  const res = await fetch(`http://127.0.0.1:${relay.ports.private}/_admin/endpoints/seen/received`,
    { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return res.json();
}

test('https is served on the TLS listener and verified with the test CA, by curl and by Node', async () => {
  const relay = await startRelay({ clientCerts: 'none' });
  try {
    const port = relay.ports.public;
    const { stdout } = await run('curl', ['-sS', '--cacert', pki('ca.pem'), '-H', 'content-type: application/json',
      '-d', '{"from":"curl"}', '-w', ' %{http_code} %{ssl_verify_result}', `https://localhost:${port}/emit`]);
    assert.match(stdout, / 202 0$/);
    const r = await request(port, { body: '{"from":"node"}', ALPNProtocols: ['h2', 'http/1.1'] });
    assert.equal(r.status, 202);
    assert.equal(r.peerCn, 'server-a');
    assert.equal(r.alpnProtocol, 'http/1.1', 'ALPN picks HTTP/1.1 from what the client offers');
    // Without the test CA the server is not trusted.
    await assert.rejects(request(port, { ca: [] }), /self[- ]signed|unable to (get|verify)/i);
    // No client certificate was asked for: no identity on the messages.
    const messages = await received(relay);
    assert.deepEqual(messages.map((m) => JSON.parse(m.payload).from), ['curl', 'node']);
    assert.equal(messages[0].attributes['tls.cn'], undefined);
    assert.match(relay.stderr, /listener public: userspace TLS|listener public: kernel TLS/);
  } finally {
    await relay.stop();
  }
});

test('listeners limit routes: emit only on public, the core routes only on private', async () => {
  const relay = await startRelay({ clientCerts: 'none' });
  try {
    assert.equal((await request(relay.ports.public, { path: '/metrics', method: 'GET' })).status, 404);
    assert.equal((await request(relay.ports.public, { path: '/_health/', method: 'GET' })).status, 404);
    assert.equal(await plain(relay.ports.private, '/_health/'), 200);
    assert.equal(await plain(relay.ports.private, '/emit'), 404);
  } finally {
    await relay.stop();
  }
});

test('client-certs required: refuses no certificate, another CA and an expired one; accepts client-a with its identity', async () => {
  const relay = await startRelay({ clientCerts: 'required' });
  try {
    const port = relay.ports.public;
    // In this order the log shows the first two (the rate limit skips the third).
    await assert.rejects(request(port, { cert: pki('expired-client.pem'), key: pki('expired-client.key') }));
    await assert.rejects(request(port, { cert: pki('other-client.pem'), key: pki('other-client.key') }));
    await assert.rejects(request(port), (e) => /certificate|ECONNRESET|socket hang up/i.test(`${e.code} ${e.message}`));
    const ok = await request(port, { cert: pki('client.pem'), key: pki('client.key'), body: '{"who":"a"}' });
    assert.equal(ok.status, 202);
    const messages = await received(relay);
    assert.equal(messages.length, 1);
    assert.equal(messages[0].attributes['tls.cn'], 'client-a');
    assert.equal(messages[0].attributes['tls.san'], 'client-a.example spiffe://araldo.test/client-a');
    await waitUntil(async () => (await relay.metric('araldo_tls_handshake_failures_total', { reason: 'certificate' })) === 2);
    assert.equal(await relay.metric('araldo_tls_handshake_failures_total', { reason: 'no_certificate' }), 1);
    assert.match(relay.stderr, /TLS handshake with 127\.0\.0\.1:\d+ failed: client certificate refused: certificate has expired \(1 so far\)/);
    assert.match(relay.stderr, /failed: client certificate refused: unable to get local issuer certificate \(2 so far\)/);
  } finally {
    await relay.stop();
  }
});

test('a certificate swapped on disk plus SIGHUP is served to new connections; open ones keep theirs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'araldo-renew-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  copyFileSync(pki('server.pem'), cert);
  copyFileSync(pki('server.key'), key);
  const relay = await startRelay({ clientCerts: 'none', cert, key });
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const port = relay.ports.public;
    const first = await request(port, { agent });
    assert.equal(first.peerCn, 'server-a');
    copyFileSync(pki('server-b.pem'), cert);
    copyFileSync(pki('server-b.key'), key);
    relay.signal('SIGHUP');
    await relay.waitForLog(/listener public: certificate reloaded/);
    const again = await request(port, { agent });
    assert.equal(again.reused, true, 'the open connection stayed open across the reload');
    assert.equal(again.peerCn, 'server-a');
    const fresh = await request(port);
    assert.equal(fresh.peerCn, 'server-b');
    assert.equal(await relay.metric('araldo_tls_certificate_reloads_total', { result: 'ok' }), 1);
    // A broken file on disk: the listener keeps serving the last good one.
    writeFileSync(cert, 'not a certificate');
    relay.signal('SIGHUP');
    await relay.waitForLog(/certificate not reloaded, the previous one stays/);
    assert.equal((await request(port)).peerCn, 'server-b');
  } finally {
    agent.destroy();
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plain HTTP on the TLS port, a stalled handshake and an old TLS version are refused and counted', async () => {
  const relay = await startRelay({ clientCerts: 'none', extraTls: ', min-version: "1.3", handshake-timeout: 300ms' });
  try {
    const port = relay.ports.public;
    await plain(port, '/emit').catch(() => 0);
    // Connects and sends nothing: closed by the relay after the handshake timeout.
    await new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('close', resolve);
      s.on('error', reject);
    });
    await assert.rejects(new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(pki('ca.pem')), servername: 'localhost', maxVersion: 'TLSv1.2' }, resolve);
      s.on('error', reject);
    }));
    await waitUntil(async () => (await relay.metric('araldo_tls_handshake_failures_total', { reason: 'version' })) === 1);
    assert.equal(await relay.metric('araldo_tls_handshake_failures_total', { reason: 'plaintext' }), 1);
    assert.equal(await relay.metric('araldo_tls_handshake_failures_total', { reason: 'timeout' }), 1);
    // TLS 1.3 is accepted.
    assert.equal((await request(port, { minVersion: 'TLSv1.3' })).status, 202);
  } finally {
    await relay.stop();
  }
});

test('listener configuration errors name the file, line and column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'araldo-tlscfg-'));
  const check = async (yaml) => {
    const file = join(dir, 'araldo.yaml');
    writeFileSync(file, yaml);
    const r = await run(binary, ['--check', '-c', file]).then(() => ({ code: 0, stderr: '' }), (e) => e);
    return { code: r.code, stderr: r.stderr };
  };
  try {
    const base = (listener, extra = '') => `global:\n  listeners:\n    - ${listener}\n${extra}`;
    let r = await check(base(`{name: public, port: 0, tls: {cert: ${pki('server.pem')}, key: ${pki('server.key')}, client-certs: required}}`));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /araldo\.yaml:3:\d+: client-certs: required needs ca/);
    r = await check(`global:\n  server-port: 8080\n  listeners:\n    - {name: a, port: 0}\n`);
    assert.match(r.stderr, /araldo\.yaml:2:\d+: .*server-port cannot be combined with listeners/);
    r = await check(base(`{name: public, port: 0, tls: {cert: ${join(dir, 'missing.pem')}, key: ${pki('server.key')}}}`));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /araldo\.yaml:3:\d+: listener public: cannot load certificate .*missing\.pem/);
    r = await check(base('{name: public, port: 0}',
      'plugins:\n  araldo.endpoints.endpoint:\n    - {name: e, id: endpoint-http, listeners: [publc]}\n'));
    assert.match(r.stderr, /araldo\.yaml:6:\d+: no listener is named 'publc'.*\n.*public/);
    r = await check(base('{name: a, port: 0}', '  core-listeners: [b]\n'));
    assert.match(r.stderr, /araldo\.yaml:4:\d+: no listener is named 'b'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
