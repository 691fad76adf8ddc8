// Requests over a link, both ways, between two real relays: endpoint-http in
// request mode on each side, and on the far side a responder (the example
// plugin examples/plugin-responder, or endpoint-mock told to echo, fail or
// hang); the answers come back the way the requests went.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, waitUntil } from '../../support/araldo.mjs';
import { admin, request, startClient, startHub, testPki, waitLinked } from './support.mjs';

let pki;
before(() => { pki = testPki(); });
after(() => pki.remove());

const responders = {
  example: '{name: responder, id: endpoint-example-responder}',
  echo: '{name: responder, id: endpoint-mock, requests: echo, reply-delay: 20ms}',
  fail: '{name: responder, id: endpoint-mock, requests: fail}',
  hang: '{name: responder, id: endpoint-mock, requests: hang}',
};

// Each side: `api` (request mode, 3s) into the link, and what comes over the
// link goes to its `responder` (and the link.* state events to `seen`).
const hubSide = (responder) => ({
  endpoints: `    - {name: api, id: endpoint-http, path: /api, mode: request, peer-in-path: true, marshalling: raw, listeners: [local], timeout: 3s}
    - {name: any, id: endpoint-http, path: /any, mode: request, marshalling: raw, listeners: [local], timeout: 3s}
    - ${responders[responder]}`,
  routes: '  api: [link]\n  any: [link]',
  linkTo: '[responder, {to: seen, type: "link.*"}]',
});
const clientSide = (responder) => ({
  endpoints: `    - {name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw, timeout: 3s}
    - ${responders[responder]}`,
  routes: '  api: [link]',
  linkTo: '[responder, {to: seen, type: "link.*"}]',
});

async function pair({ hub: h = 'example', client: c = 'example', port = 0 } = {}) {
  const hub = await startHub(pki, { port, ...hubSide(h) });
  const client = await startClient(pki, hub.linkPort, clientSide(c));
  await waitLinked(hub, client);
  return { hub, client };
}

const json = (r) => JSON.parse(r.body.toString());

test("the example responder's time and cat, asked across the link both ways", async () => {
  const { hub, client } = await pair();
  try {
    let r = await request(client, 'GET', '/api/time');  // the client asks the hub
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-event-return-code'], '0');
    assert.ok(Math.abs(json(r).time_from_server - Date.now() / 1000) < 60);
    r = await request(hub, 'GET', '/api/files/time');   // the hub asks the client it names
    assert.equal(r.status, 200);
    assert.ok(Math.abs(json(r).time_from_server - Date.now() / 1000) < 60);
    r = await request(hub, 'GET', '/api/files/cat//hello%20/world');
    assert.deepEqual(json(r), { result: 'hello world' });
    r = await request(client, 'GET', '/api/cat//a%2Fb/c');
    assert.deepEqual(json(r), { result: 'a/bc' });
    r = await request(client, 'GET', '/api/nothing');
    assert.equal(r.status, 404);
  } finally {
    await client.stop();
    await hub.stop();
  }
});

test('GET and POST with args, query, JSON and binary bodies arrive whole and come back', async () => {
  const { hub, client } = await pair({ client: 'echo', hub: 'echo' });
  try {
    let r = await request(hub, 'GET', '/api/files/report//hello%20/a%2Fb?x=1&describe&y=%C3%A9');
    assert.equal(r.status, 200);
    let d = json(r);
    assert.equal(d.method, 'GET');
    assert.equal(d.noun, 'report');
    assert.deepEqual(d.args, ['hello ', 'a/b']);
    assert.equal(d.query, 'x=1&describe&y=%C3%A9');
    assert.equal(d.attributes['link.peer'], '127.0.0.1');  // set by the client's link: who sent it

    const body = JSON.stringify({ text: 'über', n: [1, 2] });
    r = await request(client, 'POST', '/api/store//x?describe', body, { 'content-type': 'application/json' });
    d = json(r);
    assert.equal(d.method, 'POST');
    assert.equal(d.body, body);
    assert.equal(d.content_type, 'application/json');
    assert.equal(d.attributes['link.peer'], 'files');
    r = await request(client, 'POST', '/api/store', body, { 'content-type': 'application/json' });
    assert.equal(r.body.toString(), body);

    const bytes = Buffer.from([0, 255, 1, 128, 10, 13, 0]);
    r = await request(hub, 'PUT', '/api/files/blob', bytes, { 'content-type': 'application/octet-stream' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(r.body, bytes);
  } finally {
    await client.stop();
    await hub.stop();
  }
});

test('a failing responder across the link is a 502 with its exception', async () => {
  const { hub, client } = await pair({ client: 'fail' });
  try {
    const r = await request(hub, 'GET', '/api/files/anything');
    assert.equal(r.status, 502);
    assert.notEqual(r.headers['x-event-return-code'], '0');
    assert.match(json(r).exception.message, /told to fail/);
  } finally {
    await client.stop();
    await hub.stop();
  }
});

test('a hung responder is a 504 while other requests on the same link succeed', async () => {
  const { hub, client } = await pair({ client: 'hang' });
  try {
    const hung = request(hub, 'GET', '/api/files/slow');
    await waitUntil(async () => (await admin(hub, '/_admin/endpoints/link/links')).json[0]?.pending === 1);
    const others = await Promise.all([1, 2, 3].map((i) => request(client, 'GET', `/api/cat//${i}`)));
    assert.deepEqual(others.map((o) => json(o).result), ['1', '2', '3']);
    const r = await hung;
    assert.equal(r.status, 504);
    // The hub forgets the request by its deadline too.
    await waitUntil(async () => (await hub.metric('araldo_link_requests_pending', { endpoint: 'link' })) === 0, 5000);
  } finally {
    await client.stop();
    await hub.stop();
  }
});

test('1000 concurrent requests each get their own answer, in whatever order they come back', async () => {
  const { hub, client } = await pair({ client: 'echo' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
  try {
    const ask = (i) => new Promise((resolve, reject) => {
      const body = JSON.stringify({ i });
      const req = http.request({ host: '127.0.0.1', port: hub.port, method: 'POST', path: `/api/files/n//${i}`, agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        let b = '';
        res.on('data', (d) => { b += d; });
        res.on('end', () => resolve({ i, status: res.statusCode, body: b }));
      });
      req.on('error', reject);
      req.end(body);
    });
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => ask(i)));
    for (const { i, status, body } of answers) {
      assert.equal(status, 200, `request ${i}`);
      assert.deepEqual(JSON.parse(body), { i });
    }
    assert.equal(await hub.metric('araldo_link_requests_total', { outcome: 'answered' }), 1000);
  } finally {
    agent.destroy();
    await client.stop();
    await hub.stop();
  }
});

test('no link: 503 at once, also for requests in flight; a hub without link.peer: 400; back once the hub is', async () => {
  const port = await freePort();
  let { hub, client } = await pair({ port, hub: 'hang' });
  try {
    let r = await request(hub, 'GET', '/api/nobody/time');
    assert.equal(r.status, 503);
    assert.match(json(r).error, /no link to nobody/);
    r = await request(hub, 'GET', '/any/time');
    assert.equal(r.status, 400);
    assert.match(json(r).error, /needs link\.peer/);

    // A request in flight when the link goes is answered at once, not at its deadline.
    const inFlight = request(client, 'GET', '/api/time');
    await waitUntil(async () => (await client.metric('araldo_link_requests_pending', { endpoint: 'link' })) === 1);
    hub.signal('SIGKILL');
    await hub.exited;
    r = await inFlight;
    assert.equal(r.status, 503);
    assert.match(json(r).error, /link to 127\.0\.0\.1 lost/);

    r = await request(client, 'GET', '/api/time');
    assert.equal(r.status, 503);
    assert.match(json(r).error, /no link to 127\.0\.0\.1/);

    hub = await startHub(pki, { port, ...hubSide('example') });
    await waitLinked(hub, client);
    r = await request(client, 'GET', '/api/time');
    assert.equal(r.status, 200);
  } finally {
    await client.stop();
    await hub.stop();
  }
});
