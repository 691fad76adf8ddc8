// The hub's limits, met by hand-driven `ws` clients holding the test PKI's
// client certificate: a second connection with the same identity replaces
// the first, a message over max-message-size closes with 1009, a silent peer
// is dropped by the heartbeat, frames that are not the link's are counted, a
// full send-queue drops events and refuses requests, and option mistakes stop --check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, waitUntil } from '../../support/araldo.mjs';
import { admin, linkUp, received, request, startHub, testPki } from './support.mjs';

let pki;
before(() => { pki = testPki(); });
after(() => pki.remove());

const open = async (hub, cert = 'client') => {
  const ws = connect(`wss://localhost:${hub.linkPort}/link`, { family: 4, ca: pki.read('ca.pem'),
    cert: pki.read(`${cert}.pem`), key: pki.read(`${cert}.key`) });
  await ws.opened;
  return ws;
};
const disconnects = (hub, how) => hub.metric('araldo_link_disconnects_total', { endpoint: 'link', how });

test('a second connection with the same identity replaces the first, which is told why', async () => {
  const hub = await startHub(pki);
  try {
    const first = await open(hub);
    await waitUntil(async () => (await linkUp(hub, 'files')) === 1);
    const second = await open(hub);
    const closed = await first.closed;
    assert.equal(closed.code, 4000);
    assert.equal(closed.reason, 'replaced by a newer connection from the same peer');
    assert.equal(await hub.metric('araldo_link_replaced_total', { endpoint: 'link' }), 1);
    await hub.waitForLog(/link files \(client-a\): a new connection from 127\.0\.0\.1:\d+ replaces the one from/);
    const links = (await admin(hub, '/_admin/endpoints/link/links')).json;
    assert.equal(links.length, 1);
    assert.equal(await linkUp(hub, 'files'), 1);
    second.close(1000);
    await second.closed;
    await waitUntil(async () => (await linkUp(hub, 'files')) === 0);
  } finally {
    await hub.stop();
  }
});

test('a message larger than max-message-size closes the link with 1009, counted', async () => {
  const hub = await startHub(pki, { link: ', max-message-size: 64KiB' });
  try {
    const ws = await open(hub);
    ws.send(Buffer.alloc(64 * 1024 + 1, 1), { binary: true });
    assert.equal((await ws.closed).code, 1009);
    await waitUntil(async () => (await disconnects(hub, 'too_big')) === 1);
    await hub.waitForLog(/link files down: message larger than max-message-size/);
  } finally {
    await hub.stop();
  }
});

test('a peer that stops answering is dropped after heartbeat-timeout', async () => {
  const hub = await startHub(pki, { link: ', heartbeat-timeout: 600ms' });
  try {
    const ws = await open(hub);
    await waitUntil(async () => (await linkUp(hub, 'files')) === 1);
    ws._socket.pause();  // reads nothing more, so answers no ping
    await waitUntil(async () => (await disconnects(hub, 'heartbeat')) === 1, 10000, () => hub.stderr.slice(-2000));
    assert.equal(await linkUp(hub, 'files'), 0);
    await hub.waitForLog(/link files down: heartbeat timeout: nothing heard for \d+ ms/);
    // The hub's routes hear of it, with the reason.
    let down = [];
    await waitUntil(async () => (down = (await received(hub)).filter((m) => m.attributes.type === 'link.disconnected')).length === 1);
    assert.equal(down[0].attributes['link.peer'], 'files');
    assert.match(JSON.parse(down[0].payload).parameters.reason, /^heartbeat timeout/);
    ws.terminate();
  } finally {
    await hub.stop();
  }
});

test('frames that are not the link protocol are dropped and counted; text frames close with 1003', async () => {
  const hub = await startHub(pki);
  try {
    const ws = await open(hub);
    ws.send(Buffer.from([1, 1, 0, 200, 0]), { binary: true });  // an id longer than the frame
    ws.send(Buffer.from([9, 1, 0]), { binary: true });          // an unknown version
    await waitUntil(async () => (await hub.metric('araldo_link_dropped_total', { reason: 'malformed' })) === 2);
    await hub.waitForLog(/malformed frame from files: truncated message id/);
    ws.send('text');
    assert.equal((await ws.closed).code, 1003);
    await waitUntil(async () => (await disconnects(hub, 'protocol')) === 1);
  } finally {
    await hub.stop();
  }
});

test('a link whose far side stops reading fills its send-queue; then events are dropped and requests refused 503', async () => {
  const hub = await startHub(pki, {
    link: ', send-queue: 4, heartbeat-timeout: 60s',
    endpoints: '    - {name: api, id: endpoint-http, path: /api, mode: request, peer-in-path: true, listeners: [local], marshalling: raw}',
    routes: '  api: [link]',
  });
  try {
    const ws = await open(hub);
    await waitUntil(async () => (await linkUp(hub, 'files')) === 1);
    ws._socket.pause();  // the socket buffers fill, then the queue
    const big = JSON.stringify({ text: 'x'.repeat(256 * 1024) });
    for (let i = 0; i < 200 && (await hub.metric('araldo_link_dropped_total', { reason: 'queue_full' })) === 0; ++i) {
      assert.equal((await request(hub, 'POST', '/emit', big)).status, 202);
    }
    assert.ok(await hub.metric('araldo_link_dropped_total', { reason: 'queue_full' }) >= 1);
    await hub.waitForLog(/event \S+ to files dropped: send queue full \(1 so far\)/);
    const refused = await request(hub, 'GET', '/api/files/time');
    assert.equal(refused.status, 503);
    assert.match(refused.body.toString(), /link to files is full/);
    assert.equal(await hub.metric('araldo_link_requests_total', { outcome: 'refused' }), 1);
    ws.terminate();
  } finally {
    await hub.stop();
  }
});

test('option mistakes stop --check at the option, with the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'araldo-link-check-'));
  try {
    const check = (link) => {
      const file = join(dir, 'araldo.yaml');
      writeFileSync(file, `plugins:\n  araldo.endpoints.endpoint:\n    - {name: link, id: endpoint-link, ${link}}\n`);
      const r = spawnSync(process.env.ARALDO_BINARY, ['--check', '-c', file], { encoding: 'utf8' });
      return { code: r.status, out: r.stderr + r.stdout };
    };
    let r = check('connect: "wss://h:1/l", accept: /link');
    assert.equal(r.code, 2);
    assert.match(r.out, /araldo\.yaml:3:\d+: .*write exactly one of connect \(client\) and accept \(hub\)/);
    r = check('connect: "ws://h:1/l"');
    assert.equal(r.code, 2);
    assert.match(r.out, /connect.*must start with wss:\/\//);
    r = check('connect: "wss://h:99999/l"');
    assert.match(r.out, /the port must be a number from 1 to 65535/);
    r = check('accept: /link, peer-name: x');
    assert.match(r.out, /peer-name.*is for a client \(connect\), not the hub/);
    r = check('connect: "wss://h/l", heartbeat: 1s, heartbeat-timeout: 1s');
    assert.match(r.out, /heartbeat-timeout.*must be longer than heartbeat/);
    r = check('connect: "wss://hub.example.net/link"');
    assert.equal(r.code, 0, r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
