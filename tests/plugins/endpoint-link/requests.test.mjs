// Requests over a link, both ways, between two real relays: endpoint-http in
// request mode on each side, test-responder (test_responder.cpp) answering on
// the far side, and the answers coming back the way the requests went.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, waitUntil } from '../../support/araldo.mjs';
import { admin, request, startClient, startHub, testPki, waitLinked } from './support.mjs';

let pki;
before(() => { pki = testPki(); });
after(() => pki.remove());

// Each side: `api` (request mode, 3s) into the link, and what comes over the
// link goes to its responder (link.* state events to `seen`).
const sides = {
  hub: {
    endpoints: `    - {name: api, id: endpoint-http, path: /api, mode: request, peer-in-path: true, marshalling: raw, listeners: [local], timeout: 3s}
    - {name: any, id: endpoint-http, path: /any, mode: request, marshalling: raw, listeners: [local], timeout: 3s}
    - {name: hub-responder, id: test-responder}`,
    routes: '  api: [link]\n  any: [link]',
    linkTo: '[hub-responder, {to: seen, type: "link.*"}]',
  },
  client: {
    endpoints: `    - {name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw, timeout: 3s}
    - {name: client-responder, id: test-responder}`,
    routes: '  api: [link]',
    linkTo: '[client-responder, {to: seen, type: "link.*"}]',
  },
};

async function pair(port = 0) {
  const hub = await startHub(pki, { port, ...sides.hub });
  const client = await startClient(pki, hub.linkPort, sides.client);
  await waitLinked(hub, client);
  return { hub, client };
}

const json = (r) => JSON.parse(r.body.toString());

test('requests cross the link both ways: time, cat with args, query, JSON and binary bodies', async () => {
  const { hub, client } = await pair();
  try {
    // The client asks the hub.
    let r = await request(client, 'GET', '/api/time');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-event-return-code'], '0');
    assert.equal(json(r).node, 'hub-responder');
    assert.ok(Math.abs(json(r).time_from_server - Date.now() / 1000) < 60);
    // The hub asks the client it names (peers: {client-a: files}).
    r = await request(hub, 'GET', '/api/files/time');
    assert.equal(r.status, 200);
    assert.equal(json(r).node, 'client-responder');

    r = await request(hub, 'GET', '/api/files/cat//hello%20/a%2Fb?x=1&y=%C3%A9');
    assert.equal(r.status, 200);
    assert.deepEqual(json(r).args, ['hello ', 'a/b']);
    assert.equal(json(r).query, 'x=1&y=%C3%A9');

    const body = JSON.stringify({ text: 'über', n: [1, 2] });
    r = await request(client, 'POST', '/api/cat//x', body, { 'content-type': 'application/json' });
    assert.equal(r.status, 200);
    assert.equal(json(r).body, body);
    assert.equal(json(r).content_type, 'application/json');

    const bytes = Buffer.from([0, 255, 1, 128, 10, 13, 0]);
    r = await request(hub, 'POST', '/api/files/cat', bytes, { 'content-type': 'application/octet-stream' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(r.body, bytes);
  } finally {
    await client.stop();
    await hub.stop();
  }
});

test('a failing responder is a 502 with its exception; a hung one a 504 while others on the link succeed', async () => {
  const { hub, client } = await pair();
  try {
    let r = await request(client, 'GET', '/api/fail');
    assert.equal(r.status, 502);
    assert.notEqual(r.headers['x-event-return-code'], '0');
    assert.match(json(r).exception.message, /the responder failed on purpose/);

    const hung = request(hub, 'GET', '/api/files/hang');
    await waitUntil(async () => (await admin(hub, '/_admin/endpoints/link/links')).json[0]?.pending === 1);
    const others = await Promise.all([1, 2, 3].map((i) => request(hub, 'GET', `/api/files/cat//${i}`)));
    assert.deepEqual(others.map((o) => json(o).args[0]), ['1', '2', '3']);
    r = await hung;
    assert.equal(r.status, 504);
    // The hub forgets the request by its deadline too (swept once a second).
    await waitUntil(async () => (await hub.metric('araldo_link_requests_pending', { endpoint: 'link' })) === 0, 5000);
  } finally {
    await client.stop();
    await hub.stop();
  }
});

test('1000 concurrent requests each get their own answer, in whatever order they come back', async () => {
  const { hub, client } = await pair();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
  try {
    const ask = (i) => new Promise((resolve, reject) => {
      // Every tenth is slow, so answers overtake each other.
      const path = i % 10 === 0 ? `/api/files/slow//${(i % 7) * 20}` : `/api/files/cat//${i}`;
      http.get({ host: '127.0.0.1', port: hub.port, path, agent }, (res) => {
        let b = '';
        res.on('data', (d) => { b += d; });
        res.on('end', () => resolve({ i, status: res.statusCode, body: JSON.parse(b) }));
      }).on('error', reject);
    });
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => ask(i)));
    for (const { i, status, body } of answers) {
      assert.equal(status, 200, `request ${i}`);
      if (i % 10 === 0) assert.equal(body.slept, (i % 7) * 20);
      else assert.deepEqual(body.args, [String(i)]);
    }
    assert.equal(await hub.metric('araldo_link_requests_total', { outcome: 'answered' }), 1000);
  } finally {
    agent.destroy();
    await client.stop();
    await hub.stop();
  }
});

test('no link: 503 at once; a hub without link.peer: 400; back once the hub is', async () => {
  const port = await freePort();
  let { hub, client } = await pair(port);
  try {
    let r = await request(hub, 'GET', '/api/nobody/time');
    assert.equal(r.status, 503);
    assert.match(json(r).error, /no link to nobody/);
    r = await request(hub, 'GET', '/any/time');
    assert.equal(r.status, 400);
    assert.match(json(r).error, /needs link\.peer/);

    // A request in flight when the link goes is answered at once, not at its deadline.
    const inFlight = request(client, 'GET', '/api/hang');
    await waitUntil(async () => (await client.metric('araldo_link_requests_pending', { endpoint: 'link' })) === 1);
    hub.signal('SIGKILL');
    await hub.exited;
    r = await inFlight;
    assert.equal(r.status, 503);
    assert.match(json(r).error, /link to 127\.0\.0\.1 lost/);

    r = await request(client, 'GET', '/api/time');
    assert.equal(r.status, 503);
    assert.match(json(r).error, /no link to 127\.0\.0\.1/);

    hub = await startHub(pki, { port, ...sides.hub });
    await waitLinked(hub, client);
    r = await request(client, 'GET', '/api/time');
    assert.equal(r.status, 200);
  } finally {
    await client.stop();
    await hub.stop();
  }
});
