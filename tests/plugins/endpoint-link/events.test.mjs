// endpoint-link with two real relays: events both ways, link.connected and
// link.disconnected, the admin list, the hub going away and coming back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, freePort, waitUntil } from '../../support/araldo.mjs';
import { admin, clientConfig, health, hubConfig, linkUp, received, request, startClient, startHub, testPki,
  waitLinked } from './support.mjs';

let pki;
before(() => { pki = testPki(); });
after(() => pki.remove());

const j = (text) => JSON.stringify({ text });
const payloads = (seen, type) => seen.filter((m) => m.attributes.type === type);
const events = (seen) => seen.filter((m) => !m.attributes.type?.startsWith('link.'));

test('events cross the link both ways, with link.peer naming where they came from', async () => {
  const hub = await startHub(pki);
  const client = await startClient(pki, hub.linkPort);
  try {
    await waitLinked(hub, client);
    assert.equal((await request(hub, 'POST', '/emit', j('from the hub'))).status, 202);
    assert.equal((await request(client, 'POST', '/emit', j('from the client'))).status, 202);
    let atClient = [];
    let atHub = [];
    await waitUntil(async () => events(atClient = await received(client)).length === 1 &&
      events(atHub = await received(hub)).length === 1, 10000, () => 'one event each side');
    const [c] = events(atClient);
    const [h] = events(atHub);
    assert.equal(c.payload, j('from the hub'));
    assert.equal(c.attributes['link.peer'], '127.0.0.1');  // peer-name's default: the hub's host
    assert.equal(h.payload, j('from the client'));
    assert.equal(h.attributes['link.peer'], 'files');      // peers: {client-a: files}
    // Both sides told their routes the link came up.
    const up = payloads(atHub, 'link.connected');
    assert.equal(up.length, 1);
    const parameters = JSON.parse(up[0].payload).parameters;
    assert.equal(parameters.peer, 'files');
    assert.equal(parameters.cn, 'client-a');
    assert.match(parameters.since, /^\d{4}-\d\d-\d\dT/);
    assert.equal(payloads(atClient, 'link.connected').length, 1);

    const links = await admin(hub, '/_admin/endpoints/link/links');
    assert.equal(links.status, 200);
    assert.equal(links.json.length, 1);
    assert.equal(links.json[0].peer, 'files');
    assert.equal(links.json[0].cn, 'client-a');
    assert.match(links.json[0].remote, /^127\.0\.0\.1:\d+$/);
    assert.equal(links.json[0].messages_in, 1);
    assert.equal(links.json[0].messages_out, 1);
    assert.equal(links.json[0].pending, 0);
    const fromClient = await admin(client, '/_admin/endpoints/link/links');
    assert.equal(fromClient.json[0].cn, 'server-a');
    assert.ok(await hub.metric('araldo_link_heartbeat_rtt_seconds', { peer: 'files' }) >= 0);
  } finally {
    await client.stop();
    await hub.stop();
  }
});

test('an event to the hub without link.peer goes to every client; with ?peer= or Araldo-Link-Peer to that one', async () => {
  const hub = await startHub(pki);
  const a = await startClient(pki, hub.linkPort);
  const b = await startClient(pki, hub.linkPort, { cert: 'client-b' });
  try {
    await waitLinked(hub, a);
    await waitUntil(async () => (await linkUp(hub, 'client-b')) === 1, 15000, () => 'client-b linked');
    assert.equal((await request(hub, 'POST', '/emit', j('to all'))).status, 202);
    await waitUntil(async () => events(await received(a)).length === 1 && events(await received(b)).length === 1);
    assert.equal(events(await received(a))[0].payload, j('to all'));
    assert.equal(events(await received(b))[0].payload, j('to all'));

    assert.equal((await request(hub, 'POST', '/emit?peer=client-b', j('to b'))).status, 202);
    assert.equal((await request(hub, 'POST', '/emit', j('to files'), { 'Araldo-Link-Peer': 'files' })).status, 202);
    await waitUntil(async () => events(await received(a)).length === 2 && events(await received(b)).length === 2);
    assert.equal(events(await received(a))[1].payload, j('to files'));
    assert.equal(events(await received(b))[1].payload, j('to b'));
  } finally {
    await b.stop();
    await a.stop();
    await hub.stop();
  }
});

test('the hub killed: the client reports the link down and emits link.disconnected; back within the bound', async () => {
  const port = await freePort();
  let hub = await startHub(pki, { port });
  const client = await startClient(pki, port);
  try {
    await waitLinked(hub, client);
    hub.signal('SIGKILL');
    await hub.exited;
    await waitUntil(async () => (await linkUp(client, '127.0.0.1')) === 0, 10000, () => 'link down at the client');
    await waitUntil(async () => payloads(await received(client), 'link.disconnected').length === 1);
    await waitUntil(async () => /link to wss:\/\/127\.0\.0\.1:\d+\/link down since \S+Z: /.test(await health(client)),
      10000, () => 'health says down');
    // Events for a link that is down are dropped, counted.
    await request(client, 'POST', '/emit', j('nowhere to go'));
    assert.ok(await client.metric('araldo_link_dropped_total', { reason: 'no_link' }) >= 1);

    hub = await startHub(pki, { port });
    // reconnect.max is 500ms: the link is back well within this.
    await waitLinked(hub, client);
    assert.ok(await client.metric('araldo_link_reconnects_total') >= 1);
    assert.doesNotMatch(await health(client), /link to/);
    assert.equal((await request(client, 'POST', '/emit', j('after the restart'))).status, 202);
    await waitUntil(async () => events(await received(hub)).some((m) => m.payload === j('after the restart')));
  } finally {
    await client.stop();
    await hub.stop();
  }
});

test('a certificate from another CA, or none, does not link; both are logged and counted', async () => {
  const hub = await startHub(pki);
  const stranger = await startClient(pki, hub.linkPort, { cert: 'other-client' });
  const anonymous = await Relay.start(clientConfig(pki, hub.linkPort).replace(/, cert: "[^"]+", key: "[^"]+"/, ''));
  try {
    await waitUntil(async () => /TLS handshake failed: the hub refused this relay's certificate/.test(await health(stranger)), 10000,
      () => `stranger's health:\n${stranger.stderr.slice(-2000)}`);
    await waitUntil(async () => /hub refused the link: 403/.test(await health(anonymous)), 10000,
      () => `anonymous health:\n${anonymous.stderr.slice(-2000)}`);
    // The stranger's certificate fails the hub listener's handshake, counted there.
    assert.ok(await hub.metric('araldo_tls_handshake_failures_total', { reason: 'certificate' }) >= 1);
    assert.match(hub.stderr, /TLS handshake with 127\.0\.0\.1:\d+ failed: client certificate refused/);
    assert.ok(await hub.metric('araldo_link_refused_total') >= 1);
    assert.match(hub.stderr, /link refused from 127\.0\.0\.1:\d+: no verified client certificate/);
    assert.equal(await linkUp(hub, 'files'), 0);
    assert.equal((await admin(hub, '/_admin/endpoints/link/links')).json.length, 0);
  } finally {
    await anonymous.stop();
    await stranger.stop();
    await hub.stop();
  }
});
