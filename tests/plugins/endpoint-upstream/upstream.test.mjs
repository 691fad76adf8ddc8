// endpoint-upstream through the real binary: endpoint-http in request mode
// takes HTTP requests, a route hands them to endpoint-upstream, which forwards
// each to a real Node HTTP service on a free loopback port and answers with
// what the service said. The service records what arrived and counts its
// connections; certificates for https come from tests/support/make-test-pki.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Relay, binary, freePort, makeTestPki, waitUntil } from '../../support/araldo.mjs';

let pkiDir;
let pki;

before(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'araldo-upstream-pki-'));
  pki = makeTestPki(pkiDir);
});

after(() => rmSync(pkiDir, { recursive: true, force: true }));

// `upstream`: more keys of the upstream endpoint's mapping; `api`: of endpoint-http's.
const config = ({ baseUrl, upstream = '', api = '' }) => `global:
  server-port: 0
  bind: 127.0.0.1
plugins:
  araldo.marshalling:
    - {name: raw, id: marshal-raw}
  araldo.endpoints.endpoint:
    - {name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw${api}}
    - {name: emit, id: endpoint-http, path: /emit, marshalling: raw}
    - {name: svc, id: endpoint-upstream, base-url: "${baseUrl}"${upstream}}
routes:
  api: [svc]
  emit: [svc]
`;

// A service that hands each request to `handler(req, body, res)` after
// reading its body; it records every request and counts its connections.
async function startService(handler, { tls, port = 0 } = {}) {
  const service = { requests: [], connections: 0, open: 0, maxOpen: 0, sockets: new Set() };
  const onRequest = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      service.requests.push({ method: req.method, url: req.url, type: req.headers['content-type'], headers: req.headers, body });
      handler(req, body, res);
    });
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  // Idle connections stay open for the whole test: a reused one is not a new one.
  server.keepAliveTimeout = 120000;
  server.on(tls ? 'secureConnection' : 'connection', (socket) => {
    service.connections += 1;
    service.open += 1;
    service.maxOpen = Math.max(service.maxOpen, service.open);
    service.sockets.add(socket);
    socket.on('close', () => {
      service.open -= 1;
      service.sockets.delete(socket);
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  service.port = server.address().port;
  service.close = () => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(resolve);
  });
  return service;
}

// Echoes what arrived as JSON, with status 201 and a content type of its own.
function echo(req, body, res) {
  res.writeHead(201, { 'content-type': 'application/vnd.echo+json' });
  res.end(JSON.stringify({ method: req.method, url: req.url, type: req.headers['content-type'] ?? null,
    body: body.toString('base64') }));
}

async function call(relay, method, path, { body, type, agent } = {}) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (type) headers['content-type'] = type;
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    const req = http.request({ host: '127.0.0.1', port: relay.port, method, path, headers, agent: agent ?? false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'],
          rc: res.headers['x-event-return-code'], body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (r) => JSON.parse(r.body.toString());

test('methods, args, query, JSON and binary bodies reach the service; its answer comes back', async () => {
  const service = await startService(echo);
  const relay = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}/base/` }));
  try {
    const get = await call(relay, 'GET', '/api/files/report//a%20b/c%2Fd?x=1&y=%2F');
    assert.equal(get.status, 201);
    assert.equal(get.type, 'application/vnd.echo+json');
    assert.equal(get.rc, '0');
    assert.deepEqual(json(get), { method: 'GET', url: '/base/files/report/a%20b/c%2Fd?x=1&y=%2F', type: null, body: '' });

    const doc = JSON.stringify({ hello: 'wörld', n: [1, 2, 3] });
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await call(relay, method, '/api/items//42', { body: doc, type: 'application/json' });
      assert.equal(r.status, 201, `${method}: ${r.body}`);
      assert.equal(r.rc, '0');
      const seen = json(r);
      assert.equal(seen.method, method);
      assert.equal(seen.url, '/base/items/42');
      assert.equal(seen.type, 'application/json');
      assert.equal(Buffer.from(seen.body, 'base64').toString(), doc);
    }

    const blob = randomBytes(70000);
    blob[0] = 0xff;  // never UTF-8
    const bin = await call(relay, 'POST', '/api/blobs?name=x', { body: blob, type: 'application/octet-stream' });
    assert.equal(bin.status, 201);
    const seen = json(bin);
    assert.equal(seen.url, '/base/blobs?name=x');
    assert.equal(seen.type, 'application/octet-stream');
    assert.ok(Buffer.from(seen.body, 'base64').equals(blob), 'the binary body arrives byte for byte');
  } finally {
    await relay.stop();
    await service.close();
  }
});

test('a binary answer with the service\'s own status and type comes back byte for byte', async () => {
  const blob = randomBytes(100000);
  const service = await startService((req, body, res) => {
    res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'image/x-test' });
    res.end(req.url === '/missing' ? 'nope' : blob);
  });
  const relay = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}` }));
  try {
    const r = await call(relay, 'GET', '/api/picture');
    assert.equal(r.status, 200);
    assert.equal(r.type, 'image/x-test');
    assert.equal(r.rc, '0');
    assert.ok(r.body.equals(blob));
    // A service's error status is its answer, not araldo's failure: return code 0.
    const missing = await call(relay, 'GET', '/api/missing');
    assert.equal(missing.status, 404);
    assert.equal(missing.rc, '0');
    assert.equal(missing.body.toString(), 'nope');
  } finally {
    await relay.stop();
    await service.close();
  }
});

test('extra headers are sent; a message that expects no reply is dropped and counted', async () => {
  const service = await startService(echo);
  const relay = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}`,
    upstream: ', headers: {Authorization: Bearer s3cret, X-From: araldo}' }));
  try {
    const r = await call(relay, 'GET', '/api/who');
    assert.equal(r.status, 201);
    assert.equal(service.requests[0].headers.authorization, 'Bearer s3cret');
    assert.equal(service.requests[0].headers['x-from'], 'araldo');

    const emitted = await call(relay, 'POST', '/emit', { body: '{"a":1}', type: 'application/json' });
    assert.equal(emitted.status, 202);
    await waitUntil(async () => (await relay.metric('araldo_upstream_dropped_total',
      { endpoint: 'svc', reason: 'not_a_request' })) === 1);
    assert.equal(service.requests.length, 1, 'nothing was forwarded for the emitted message');
  } finally {
    await relay.stop();
    await service.close();
  }
});

test('an upstream that is down is a 502 with the exception document, and unhealthy', async () => {
  const port = await freePort();  // nothing listens there
  let service;
  const relay = await Relay.start(config({ baseUrl: `http://127.0.0.1:${port}` }));
  try {
    const r = await call(relay, 'POST', '/api/anything', { body: '{}', type: 'application/json' });
    assert.equal(r.status, 502);
    assert.equal(r.rc, '1');
    const doc = json(r);
    assert.equal(doc.exception.class, 'upstream_unreachable');
    assert.match(doc.exception.message, /cannot connect to 127\.0\.0\.1:\d+/);
    assert.equal(await relay.metric('araldo_upstream_requests_total', { endpoint: 'svc', outcome: 'unreachable' }), 1);
    const health = async () => (await fetch(`http://127.0.0.1:${relay.port}/_health/?full`)).text();
    assert.match(await health(), /failing since .* \(failed 1 times in a row\); last: cannot connect/);
    // The service comes up on that port: the next request gets through and the problem goes.
    service = await startService(echo, { port });
    assert.equal((await call(relay, 'GET', '/api/back')).status, 201);
    assert.doesNotMatch(await health(), /failing/);
  } finally {
    await relay.stop();
    await service?.close();
  }
});

test('a service slower than timeout is a 502 upstream_timeout; a request deadline that passes first is a 504', async () => {
  const held = [];
  const service = await startService((req, body, res) => held.push(res));  // never answers by itself
  const slowUpstream = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}`,
    upstream: ', timeout: 300ms', api: ', timeout: 60s' }));
  const slowRequest = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}`,
    upstream: ', timeout: 60s', api: ', timeout: 300ms' }));
  try {
    const r = await call(slowUpstream, 'GET', '/api/slow');
    assert.equal(r.status, 502);
    assert.equal(r.rc, '2');
    assert.equal(json(r).exception.class, 'upstream_timeout');
    assert.equal(await slowUpstream.metric('araldo_upstream_requests_total', { endpoint: 'svc', outcome: 'timeout' }), 1);

    const d = await call(slowRequest, 'GET', '/api/slow');
    assert.equal(d.status, 504);
    assert.notEqual(d.rc, '0');
    // The upstream request ends at the same deadline: it does not linger for its own 60 s.
    await waitUntil(async () => (await slowRequest.metric('araldo_upstream_requests_total',
      { endpoint: 'svc', outcome: 'timeout' })) === 1);
  } finally {
    for (const res of held) res.destroy();
    await slowUpstream.stop();
    await slowRequest.stop();
    await service.close();
  }
});

test('a full queue is answered 503 and counted; what was queued is answered after', async () => {
  const held = [];
  const service = await startService((req, body, res) => held.push(() => echo(req, body, res)));
  const relay = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}`,
    upstream: ', max-connections: 1, queue: 1' }));
  try {
    const first = call(relay, 'GET', '/api/one');
    await waitUntil(() => service.requests.length === 1);
    const second = call(relay, 'GET', '/api/two');
    await waitUntil(async () => (await relay.metric('araldo_endpoint_queue_depth', { endpoint: 'svc' })) === 1);
    const third = await call(relay, 'GET', '/api/three');
    assert.equal(third.status, 503);
    assert.equal(third.rc, '-1');
    assert.match(third.body.toString(), /upstream queue full/);
    assert.equal(await relay.metric('araldo_upstream_dropped_total', { endpoint: 'svc', reason: 'queue_full' }), 1);

    held.shift()();
    assert.equal(json(await first).url, '/one');
    await waitUntil(() => held.length === 1);
    held.shift()();
    assert.equal(json(await second).url, '/two');
    assert.equal(service.connections, 1, 'the queued request reused the connection');
  } finally {
    await relay.stop();
    await service.close();
  }
});

test('1000 concurrent requests each get their own answer over at most max-connections connections', async () => {
  // Answers out of order: each after a random delay.
  const service = await startService((req, body, res) => setTimeout(() => echo(req, body, res), Math.random() * 20));
  const relay = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}`,
    upstream: ', max-connections: 8, queue: 2000' }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
  try {
    const calls = [];
    for (let i = 0; i < 1000; i++) {
      const body = JSON.stringify({ i });
      calls.push(call(relay, 'POST', `/api/n//${i}?i=${i}`, { body, type: 'application/json', agent }));
    }
    const answers = await Promise.all(calls);
    answers.forEach((r, i) => {
      assert.equal(r.status, 201, `request ${i}: ${r.body}`);
      const seen = json(r);
      assert.equal(seen.url, `/n/${i}?i=${i}`);
      assert.equal(Buffer.from(seen.body, 'base64').toString(), JSON.stringify({ i }));
    });
    assert.equal(service.requests.length, 1000);
    assert.ok(service.connections <= 8, `${service.connections} connections for max-connections 8`);
    assert.ok(service.maxOpen <= 8);
    assert.equal(await relay.metric('araldo_upstream_connections_opened_total', { endpoint: 'svc' }),
      service.connections);
  } finally {
    agent.destroy();
    await relay.stop();
    await service.close();
  }
});

test('one after another, requests reuse one kept-alive connection, and a closed one is replaced', async () => {
  const service = await startService(echo);
  const relay = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}` }));
  try {
    for (let i = 0; i < 20; i++) assert.equal((await call(relay, 'GET', `/api/seq//${i}`)).status, 201);
    assert.equal(service.connections, 1);
    // The service drops its idle connection: the next request opens a new one and succeeds.
    for (const s of service.sockets) s.destroy();
    await waitUntil(() => service.open === 0);
    const after = await call(relay, 'GET', '/api/seq//again');
    assert.equal(after.status, 201);
    assert.equal(json(after).url, '/seq/again');
    assert.equal(service.connections, 2);
  } finally {
    await relay.stop();
    await service.close();
  }
});

test('https base-url: the service verified with the test CA; without it the handshake fails, 502', async () => {
  const tls = { cert: readFileSync(pki('server.pem')), key: readFileSync(pki('server.key')) };
  const service = await startService(echo, { tls });
  const trusted = await Relay.start(config({ baseUrl: `https://localhost:${service.port}/v1`,
    upstream: `, tls: {ca: "${pki('ca.pem')}"}` }));
  const untrusted = await Relay.start(config({ baseUrl: `https://localhost:${service.port}/v1` }));
  try {
    const r = await call(trusted, 'PUT', '/api/secure//x', { body: '{"s":1}', type: 'application/json' });
    assert.equal(r.status, 201);
    assert.equal(json(r).url, '/v1/secure/x');
    const refused = await call(untrusted, 'GET', '/api/secure');
    assert.equal(refused.status, 502);
    assert.equal(json(refused).exception.class, 'upstream_unreachable');
    assert.match(json(refused).exception.message, /TLS handshake/);
  } finally {
    await trusted.stop();
    await untrusted.stop();
    await service.close();
  }
});

// A service written byte by byte: for each request (read up to its header's
// end and its Content-Length), `respond(path)` gives the exact response bytes
// and whether the service then closes the connection.
async function startRawService(respond) {
  const service = { connections: 0, paths: [] };
  const sockets = new Set();
  const server = net.createServer((socket) => {
    service.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (data) => {
      pending = Buffer.concat([pending, data]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        pending = pending.subarray(end + 4 + length);
        const path = head.split(' ')[1];
        service.paths.push(path);
        const { bytes, close } = respond(path);
        if (close) {
          socket.end(bytes);
          return;
        }
        socket.write(bytes);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.port = server.address().port;
  service.close = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(resolve);
  });
  return service;
}

test('responses framed every way HTTP/1.1 allows come back whole; malformed or oversized ones are a 502 upstream_error', async () => {
  const responses = {
    '/chunked': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n'
      + '5;note=first\r\nhello\r\nA\r\n and again\r\n0\r\nX-Checksum: 1\r\n\r\n',
    '/interim': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n'
      + 'HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\naccepted',
    '/bare-lf': 'HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 2\n\nlf',
    '/no-content': 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n',
    '/smuggle': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'
      + '2\r\nok\r\n0\r\n\r\n',
    '/malformed': 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n',
    '/big': `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2000\r\n\r\n${'x'.repeat(2000)}`,
    '/big-chunked': `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n${'y'.repeat(1024)}\r\n1\r\nz\r\n0\r\n\r\n`,
  };
  const service = await startRawService((path) => {
    if (path === '/until-close') {
      return { bytes: 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"closed": true}', close: true };
    }
    return { bytes: responses[path], close: false };
  });
  const relay = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}`,
    upstream: ', max-connections: 1, max-response-body: 1KiB' }));
  try {
    const chunked = await call(relay, 'GET', '/api/chunked');
    assert.equal(chunked.status, 200);
    assert.equal(chunked.type, 'text/plain');
    assert.equal(chunked.body.toString(), 'hello and again');
    const interim = await call(relay, 'GET', '/api/interim');
    assert.equal(interim.status, 202, 'the interim 100 and 103 are skipped');
    assert.equal(interim.body.toString(), 'accepted');
    assert.equal((await call(relay, 'GET', '/api/bare-lf')).body.toString(), 'lf');
    const empty = await call(relay, 'DELETE', '/api/no-content');
    assert.equal(empty.status, 204);
    assert.equal(empty.body.length, 0);
    assert.equal(service.connections, 1, 'all four on one kept-alive connection');

    const closed = await call(relay, 'GET', '/api/until-close');
    assert.equal(closed.status, 200);
    assert.deepEqual(json(closed), { closed: true });
    assert.equal((await call(relay, 'GET', '/api/chunked')).body.toString(), 'hello and again');
    assert.equal(service.connections, 2, 'a body delimited by the close takes its connection with it');

    // Transfer-Encoding wins over Content-Length, and such a connection is not reused.
    assert.equal((await call(relay, 'GET', '/api/smuggle')).body.toString(), 'ok');
    assert.equal((await call(relay, 'GET', '/api/chunked')).status, 200);
    assert.equal(service.connections, 3);

    const malformed = await call(relay, 'GET', '/api/malformed');
    assert.equal(malformed.status, 502);
    assert.equal(malformed.rc, '1');
    assert.equal(json(malformed).exception.class, 'upstream_error');
    assert.match(json(malformed).exception.message, /malformed response from 127\.0\.0\.1:\d+: a status that is not 3 digits/);
    for (const path of ['/api/big', '/api/big-chunked']) {
      const big = await call(relay, 'GET', path);
      assert.equal(big.status, 502, path);
      assert.equal(json(big).exception.class, 'upstream_error');
      assert.match(json(big).exception.message, /a response body over 1024 bytes/);
    }
    assert.equal(await relay.metric('araldo_upstream_requests_total', { endpoint: 'svc', outcome: 'error' }), 1);
    assert.equal(await relay.metric('araldo_upstream_requests_total', { endpoint: 'svc', outcome: 'too_large' }), 2);
    // Each failure closed its connection (the malformed one's was the third); the next request still gets through.
    assert.equal((await call(relay, 'GET', '/api/chunked')).status, 200);
    assert.equal(service.connections, 6);
  } finally {
    await relay.stop();
    await service.close();
  }
});

test('--check refuses a base-url with a query, a tls block on http and an unknown scheme, naming the option', () => {
  const dir = mkdtempSync(join(tmpdir(), 'araldo-upstream-check-'));
  try {
    const cases = [
      [{ baseUrl: 'http://127.0.0.1:1/x?a=1' }, /base-url.*has a query/],
      [{ baseUrl: 'ftp://127.0.0.1/' }, /base-url.*scheme 'ftp' is not supported/],
      [{ baseUrl: 'http://127.0.0.1:1', upstream: ', tls: {ca: ca.pem}' }, /tls.*only applies to an https/],
      [{ baseUrl: 'http://127.0.0.1:1', upstream: ', headers: {"X-A": "a\\r\\nb"}' }, /headers.*CR, LF or NUL/],
      [{ baseUrl: 'http://127.0.0.1:1', upstream: ', headers: {content-length: "5"}' }, /headers.*content-length is araldo's to write/],
    ];
    for (const [opts, expected] of cases) {
      const file = join(dir, 'araldo.yaml');
      writeFileSync(file, config(opts));
      let out = '';
      let status = 0;
      try {
        execFileSync(binary, ['--check', '-c', file], { stdio: 'pipe' });
      } catch (e) {
        status = e.status;
        out = e.stderr.toString();
      }
      assert.equal(status, 2, `expected exit 2 for ${JSON.stringify(opts)}`);
      assert.match(out, expected);
      assert.match(out, /araldo\.yaml:\d+:\d+/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stopping answers the waiting requests 503 and counts them; the one in progress still gets its answer', async () => {
  const held = [];
  const service = await startService((req, body, res) => held.push(() => echo(req, body, res)));
  const relay = await Relay.start(config({ baseUrl: `http://127.0.0.1:${service.port}`,
    upstream: ', max-connections: 1, queue: 5' }));
  let stopped;
  try {
    const first = call(relay, 'GET', '/api/one');
    await waitUntil(() => service.requests.length === 1);
    const waiting = [call(relay, 'GET', '/api/two'), call(relay, 'GET', '/api/three')];
    await waitUntil(async () => (await relay.metric('araldo_endpoint_queue_depth', { endpoint: 'svc' })) === 2);
    stopped = relay.stop();
    for (const r of await Promise.all(waiting)) {
      assert.equal(r.status, 503);
      assert.match(r.body.toString(), /upstream endpoint stopping/);
    }
    held.shift()();
    assert.equal((await first).status, 201);
    assert.equal(service.requests.length, 1, 'nothing waiting was sent after the stop');
    await relay.waitForLog(/not forwarding \S+ \(stopped\): the endpoint is stopping/);
  } finally {
    await (stopped ?? relay.stop());
    await service.close();
  }
});
