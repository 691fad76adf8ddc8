// endpoint-http in request mode through the real binary: HTTP requests answered
// by endpoint-mock (requests: echo, fail, hang) and by the example responder
// (examples/plugin-responder, built in-tree into <build>/example-plugins).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { Relay, binary, waitUntil } from '../../support/araldo.mjs';

const examplePlugins = process.env.ARALDO_EXAMPLE_PLUGINS ?? join(dirname(binary), 'example-plugins');

const config = (endpoints, routes) => `global:
  server-port: 0
  shutdown-timeout: 2s
  plugin-dirs: [${examplePlugins}]
plugins:
  araldo.marshalling:
    - { name: raw, id: marshal-raw }
    - { name: json, id: marshal-json }
  araldo.endpoints.endpoint:
${endpoints.map((e) => `    - ${e}`).join('\n')}
routes:
${Object.entries(routes).map(([from, to]) => `  ${from}: [${to.join(', ')}]`).join('\n')}
`;

// One request on a connection of its own; the body as a Buffer.
function call(port, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (r) => JSON.parse(r.body.toString('utf8'));

test('GET, POST, PUT and DELETE reach the responder with their noun, args, query and body', async () => {
  const relay = await Relay.start(config([
    '{ name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw }',
    '{ name: echo, id: endpoint-mock, requests: echo }',
  ], { api: ['echo'] }));
  try {
    let r = await call(relay.port, 'GET', '/api/cat//hello%20/a%2Fb?describe&x=1');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-event-return-code'], '0');
    let d = json(r);
    assert.equal(d.method, 'GET');
    assert.equal(d.noun, 'cat');
    assert.deepEqual(d.args, ['hello ', 'a/b']);
    assert.equal(d.query, 'describe&x=1');
    assert.equal(d.body, '');
    assert.equal(d.attributes['http.remote'].startsWith('127.0.0.1:'), true);

    const doc = JSON.stringify({ type: 'x', n: [1, 2, 3] });
    r = await call(relay.port, 'POST', '/api/files/report//2026?describe',
      { headers: { 'content-type': 'application/json' }, body: doc });
    d = json(r);
    assert.equal(d.method, 'POST');
    assert.equal(d.noun, 'files/report');
    assert.deepEqual(d.args, ['2026']);
    assert.equal(d.content_type, 'application/json');
    assert.equal(d.binary, false);
    assert.equal(d.body, doc);

    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 13]);
    r = await call(relay.port, 'PUT', '/api/blob//k?describe',
      { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    d = json(r);
    assert.equal(d.method, 'PUT');
    assert.equal(d.binary, true);
    assert.equal(d.body, null);
    assert.deepEqual(Buffer.from(d.body_base64, 'base64'), bytes);

    r = await call(relay.port, 'DELETE', '/api/blob//k?describe');
    assert.equal(json(r).method, 'DELETE');

    // Without ?describe, echo answers the body back as it came, with its content type.
    r = await call(relay.port, 'PUT', '/api/blob', { headers: { 'content-type': 'image/png' }, body: bytes });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'image/png');
    assert.deepEqual(r.body, bytes);
    r = await call(relay.port, 'POST', '/api/doc', { headers: { 'content-type': 'application/json' }, body: doc });
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.body.toString(), doc);

    r = await call(relay.port, 'PATCH', '/api/doc');
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, POST, PUT, DELETE');
    assert.equal(await relay.metric('araldo_http_request_results_total', { endpoint: 'api', result: 'ok' }), 6);
  } finally {
    await relay.stop();
  }
});

test('the example responder answers time and cat', async () => {
  const relay = await Relay.start(config([
    '{ name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw }',
    '{ name: responder, id: endpoint-example-responder }',
  ], { api: ['responder'] }));
  try {
    const before = Math.floor(Date.now() / 1000);
    let r = await call(relay.port, 'GET', '/api/time');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-event-return-code'], '0');
    const t = json(r).time_from_server;
    assert.ok(Number.isInteger(t) && t >= before && t <= Math.ceil(Date.now() / 1000), `time ${t}`);
    r = await call(relay.port, 'GET', '/api/cat//hello%20/world');
    assert.deepEqual(json(r), { result: 'hello world' });
    r = await call(relay.port, 'GET', '/api/dog');
    assert.equal(r.status, 404);
    assert.deepEqual(json(r), { error: 'no handler get_dog', status: 404 });
  } finally {
    await relay.stop();
  }
});

test("a request's type is its handler name, so routes can send each kind to its own responder", async () => {
  const relay = await Relay.start(config([
    '{ name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw }',
    '{ name: responder, id: endpoint-example-responder }',
    '{ name: echo, id: endpoint-mock, requests: echo }',
  ], { api: ['{to: responder, type: "get_*"}', '{to: echo, type: "post_files_*"}'] }));
  try {
    let r = await call(relay.port, 'GET', '/api/time');
    assert.equal(r.status, 200);
    assert.ok(Number.isInteger(json(r).time_from_server), 'get_time went to the responder');
    r = await call(relay.port, 'POST', '/api/files/report?describe', { body: 'x' });
    assert.equal(r.status, 200);
    assert.equal(json(r).attributes.type, 'post_files_report');
    r = await call(relay.port, 'POST', '/api/time', { body: 'x' });
    assert.equal(r.status, 503, 'post_time matches no route');
  } finally {
    await relay.stop();
  }
});

test('a failing responder is a 502 with its exception and a non-zero return code', async () => {
  const relay = await Relay.start(config([
    '{ name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw }',
    '{ name: failer, id: endpoint-mock, requests: fail }',
  ], { api: ['failer'] }));
  try {
    const r = await call(relay.port, 'GET', '/api/anything//x');
    assert.equal(r.status, 502);
    assert.notEqual(Number(r.headers['x-event-return-code']), 0);
    assert.deepEqual(json(r), {
      exception: { message: 'endpoint-mock was told to fail (requests: fail)', class: 'mock_failure' },
    });
  } finally {
    await relay.stop();
  }
});

test('a hung responder gets 504 at its deadline while other requests meanwhile succeed', async () => {
  const relay = await Relay.start(config([
    '{ name: slow, id: endpoint-http, path: /slow, mode: request, marshalling: raw, timeout: 3s }',
    '{ name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw }',
    '{ name: hanger, id: endpoint-mock, requests: hang }',
    '{ name: echo, id: endpoint-mock, requests: echo }',
  ], { slow: ['hanger'], api: ['echo'] }));
  try {
    let hungDone = false;
    const hung = call(relay.port, 'GET', '/slow/wait').then((r) => { hungDone = true; return r; });
    await waitUntil(async () => await relay.metric('araldo_http_requests_in_flight', { endpoint: 'slow' }) === 1);
    for (let i = 0; i < 20; i++) {
      const r = await call(relay.port, 'POST', `/api/n//${i}`, { headers: { 'content-type': 'text/plain' }, body: `${i}` });
      assert.equal(r.body.toString(), `${i}`);
    }
    assert.equal(hungDone, false, 'the hung request ended before the others were answered');
    const r = await hung;
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-event-return-code'], '-1');
    assert.deepEqual(json(r), { error: 'no reply within 3000 ms', status: 504 });
    assert.equal(await relay.metric('araldo_http_request_results_total', { endpoint: 'slow', result: 'timeout' }), 1);
    // The mock lets go of the request at its deadline: too late, dropped and counted.
    await waitUntil(async () => await relay.metric('araldo_http_late_replies_total', { endpoint: 'slow' }) === 1);
    await relay.waitForLog(/504 for GET \/slow\/wait from 127\.0\.0\.1:\d+: no reply within 3000 ms \(1 so far\)/);
  } finally {
    await relay.stop();
  }
});

test('no responder is a 503 at once, not at the deadline', async () => {
  const relay = await Relay.start(config([
    '{ name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw, timeout: 10m }',
    '{ name: ignorer, id: endpoint-mock }',
    '{ name: nowhere, id: endpoint-http, path: /nowhere, mode: request, marshalling: raw, timeout: 10m }',
  ], { api: ['ignorer'] }));
  try {
    // A route to an endpoint that does not answer requests, and no route at all:
    // with a 10-minute deadline, only the reply path's own 503 can end these.
    for (const path of ['/api/time', '/nowhere/time']) {
      const r = await call(relay.port, 'GET', path);
      assert.equal(r.status, 503);
      assert.equal(r.headers['x-event-return-code'], '-1');
      assert.deepEqual(json(r), { error: 'no responder answered the request', status: 503 });
    }
    assert.equal(await relay.metric('araldo_http_request_results_total', { endpoint: 'api', result: 'no_responder' }), 1);
    assert.equal(await relay.metric('araldo_http_request_results_total', { endpoint: 'nowhere', result: 'no_responder' }), 1);
  } finally {
    await relay.stop();
  }
});

test('1000 concurrent requests each get their own answer, whatever order the answers come in', async () => {
  const relay = await Relay.start(config([
    '{ name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw }',
    '{ name: echo, id: endpoint-mock, requests: echo, reply-delay: 300ms, record-limit: 0 }',
  ], { api: ['echo'] }));
  try {
    const finished = [];
    const all = Array.from({ length: 1000 }, (_, i) =>
      call(relay.port, 'POST', `/api/n//${i}?describe`, { headers: { 'content-type': 'text/plain' }, body: `body ${i}` })
        .then((r) => { finished.push(i); return r; }));
    const results = await Promise.all(all);
    results.forEach((r, i) => {
      assert.equal(r.status, 200);
      const d = json(r);
      assert.deepEqual(d.args, [`${i}`]);
      assert.equal(d.body, `body ${i}`);
    });
    assert.notDeepEqual(finished, [...finished].sort((a, b) => a - b), 'the answers came in the order sent');
    assert.equal(await relay.metric('araldo_http_request_results_total', { endpoint: 'api', result: 'ok' }), 1000);
    assert.equal(await relay.metric('araldo_http_requests_in_flight', { endpoint: 'api' }), 0);
  } finally {
    await relay.stop();
  }
});

test('past max-in-flight a request is a 503 at once; refused paths and bodies are 400s', async () => {
  const relay = await Relay.start(config([
    '{ name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw, max-in-flight: 2, timeout: 10m }',
    '{ name: hanger, id: endpoint-mock, requests: hang }',
    '{ name: strict, id: endpoint-http, path: /strict, mode: request, marshalling: json }',
  ], { api: ['hanger'], strict: ['hanger'] }));
  try {
    const held = [call(relay.port, 'GET', '/api/a'), call(relay.port, 'GET', '/api/b')];
    await waitUntil(async () => await relay.metric('araldo_http_requests_in_flight', { endpoint: 'api' }) === 2);
    let r = await call(relay.port, 'GET', '/api/c');
    assert.equal(r.status, 503);
    assert.deepEqual(json(r), { error: 'too many requests in flight (max-in-flight 2); retry later', status: 503 });
    assert.equal(await relay.metric('araldo_http_request_results_total', { endpoint: 'api', result: 'overloaded' }), 1);

    r = await call(relay.port, 'GET', '/strict/a/');
    assert.equal(r.status, 400);
    assert.deepEqual(json(r), { error: "an empty segment in the noun (a '/' too many?)", status: 400 });
    r = await call(relay.port, 'GET', '/strict//x');
    assert.deepEqual(json(r), { error: 'no noun in the path', status: 400 });
    r = await call(relay.port, 'POST', '/strict/x', { headers: { 'content-type': 'application/json' }, body: '{"a":' });
    assert.equal(r.status, 400);
    assert.match(json(r).error, /JSON/);
    assert.equal(await relay.metric('araldo_http_request_results_total', { endpoint: 'strict', result: 'rejected' }), 3);

    // Stopping lets go of the held requests: their callers hear "no responder".
    await relay.stop();
    for (const h of await Promise.allSettled(held)) {
      if (h.status === 'fulfilled') assert.equal(h.value.status, 503);
    }
  } finally {
    await relay.stop();
  }
});

test('auth works in request mode, and peer-in-path names the peer', async () => {
  const relay = await Relay.start(config([
    '{ name: hub, id: endpoint-http, path: /hub, mode: request, marshalling: raw, peer-in-path: true, auth: { tokens: [s3cret] } }',
    '{ name: echo, id: endpoint-mock, requests: echo }',
  ], { hub: ['echo'] }));
  try {
    let r = await call(relay.port, 'GET', '/hub/relay-b/files/report//x?describe');
    assert.equal(r.status, 401);
    r = await call(relay.port, 'GET', '/hub/relay-b/files/report//x?describe', { headers: { authorization: 'Bearer s3cret' } });
    assert.equal(r.status, 200);
    const d = json(r);
    assert.equal(d.noun, 'files/report');
    assert.deepEqual(d.args, ['x']);
    assert.equal(d.attributes['link.peer'], 'relay-b');
    r = await call(relay.port, 'GET', '/hub/relay-b', { headers: { authorization: 'Bearer s3cret' } });
    assert.deepEqual(json(r), { error: 'no noun in the path after the peer', status: 400 });
  } finally {
    await relay.stop();
  }
});
