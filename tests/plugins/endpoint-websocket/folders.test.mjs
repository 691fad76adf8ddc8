// Folder mode through the real binary with real clients (npm `ws`): clients
// subscribe per folder (with children, per message type), hear only what
// they subscribed to and may read, write where they may, and resume from an
// offset after a reconnect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, connect, jwt, waitUntil } from '../../support/araldo.mjs';

const secret = 'folder-test-key';

const config = ({ history = '' } = {}) => `global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit, marshalling: json}
    - {name: hub, id: endpoint-websocket, path: /hub, marshalling: json, folders: true,
       auth: {tokens: [open-token], jwt-secret: ${secret}}${history}}
routes:
  emit: [hub]
  hub: [hub]
`;

const parsed = (c) => c.received.map((m) => JSON.parse(m.data.toString()));
const ofType = (c, type) => parsed(c).filter((m) => m.type === type);

async function open(relay, token = 'open-token') {
  const c = connect(relay.url('/hub', `?token=${token}`));
  await c.opened;
  await waitUntil(() => ofType(c, 'connect').length === 1, 5000, () => 'connect message');
  return c;
}

async function request(c, type, subscriptions) {
  const before = c.received.length;
  c.send(JSON.stringify({ type, parameters: { subscriptions } }));
  await waitUntil(() => parsed(c).slice(before).some((m) => m.type === `${type}d` || m.type === 'error'), 5000,
    () => `answer to ${type}`);
  return parsed(c).slice(before);
}

async function emit(relay, folder, body) {
  const r = await fetch(relay.url('/emit', folder ? `?folder=${encodeURIComponent(folder)}` : '').replace('ws:', 'http:'), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(r.status, 202, await r.text());
}

// Waits until `c` holds `n` data messages (not protocol ones), then a little
// longer to see that no more come.
async function dataMessages(c, n) {
  const data = () => parsed(c).filter((m) => !['connect', 'subscribed', 'unsubscribed', 'error'].includes(m.type));
  await waitUntil(() => data().length >= n, 5000, () => `${n} messages, have ${data().length}`);
  await new Promise((r) => setTimeout(r, 150));
  return data();
}

test('a client is told who it is; it hears only the folders it subscribed to', async () => {
  const relay = await Relay.start(config());
  try {
    const exact = await open(relay);
    const connectMsg = ofType(exact, 'connect')[0];
    assert.match(connectMsg.parameters.client, /^\d+$/);
    assert.equal(connectMsg.parameters.identity, null);
    assert.equal(connectMsg.parameters.folder, null);
    const tree = await open(relay);
    const typed = await open(relay);
    const nothing = await open(relay);

    let answer = await request(exact, 'subscribe', [{ folder: '/acme/greenhouse' }]);
    assert.deepEqual(answer.at(-1), { type: 'subscribed', parameters: { subscriptions: [{ folder: '/acme/greenhouse', include_children: false }] } });
    await request(tree, 'subscribe', [{ folder: '/acme', include_children: true }]);
    await request(typed, 'subscribe', [{ folder: '/acme', include_children: true, message_type: 'sensor_update' }]);

    await emit(relay, '/acme/greenhouse', { type: 'sensor_update', parameters: { t: 1 } });
    await emit(relay, '/acme/greenhouse/pi-7', { type: 'sensor_update', parameters: { t: 2 } });
    await emit(relay, '/acme/shed', { type: 'door', parameters: { open: true } });
    await emit(relay, '/other', { type: 'sensor_update', parameters: { t: 3 } });
    await emit(relay, '/acme-corp', { type: 'sensor_update', parameters: { t: 4 } });  // not a child of /acme
    await emit(relay, null, { type: 'sensor_update', parameters: { t: 5 } });          // no folder: nobody

    const e = await dataMessages(exact, 1);
    assert.deepEqual(e, [{ type: 'sensor_update', parameters: { t: 1 }, folder: '/acme/greenhouse' }]);
    const t = await dataMessages(tree, 3);
    assert.deepEqual(t.map((m) => m.folder), ['/acme/greenhouse', '/acme/greenhouse/pi-7', '/acme/shed']);
    const y = await dataMessages(typed, 2);
    assert.deepEqual(y.map((m) => m.parameters.t), [1, 2]);
    assert.equal((await dataMessages(nothing, 0)).length, 0);
    assert.equal(await relay.metric('araldo_ws_unaddressed_total', { endpoint: 'hub' }), 1);
    assert.equal(await relay.metric('araldo_ws_subscriptions', { endpoint: 'hub' }), 3);

    // Unsubscribed: nothing more. A subscription it does not hold is an error.
    answer = await request(tree, 'unsubscribe', [{ folder: '/acme', include_children: true }]);
    assert.equal(answer.at(-1).type, 'unsubscribed');
    answer = await request(tree, 'unsubscribe', [{ folder: '/acme' }]);
    assert.deepEqual(answer.at(-1).parameters, { request: 'unsubscribe', folder: '/acme', message: 'no such subscription' });
    await emit(relay, '/acme/shed', { type: 'door', parameters: { open: false } });
    assert.equal((await dataMessages(tree, 3)).length, 3);
    for (const c of [exact, tree, typed, nothing]) c.close(1000);
    await waitUntil(async () => (await relay.metric('araldo_ws_subscriptions', { endpoint: 'hub' })) === 0);
  } finally {
    await relay.stop();
  }
});

test('bad subscriptions get an error naming the folder; the good ones of the same request still count', async () => {
  const relay = await Relay.start(config());
  try {
    const c = await open(relay);
    c.send(JSON.stringify({ type: 'subscribe', parameters: { subscriptions: [
      { folder: '/ok' }, { folder: '/bad/' }, { folder: 'relative' }, { folder: '/t', message_type: 7 }] } }));
    await waitUntil(() => ofType(c, 'subscribed').length === 1 && ofType(c, 'error').length === 3);
    const errors = ofType(c, 'error').map((m) => m.parameters);
    assert.deepEqual(errors.map((e) => e.folder), ['/bad/', 'relative', '/t']);
    assert.match(errors[0].message, /invalid folder: .*end with '\/'/);
    assert.deepEqual(ofType(c, 'subscribed')[0].parameters.subscriptions, [{ folder: '/ok', include_children: false }]);
    c.send(JSON.stringify({ type: 'subscribe', parameters: {} }));
    await waitUntil(() => ofType(c, 'error').length === 4);
    assert.equal(ofType(c, 'error')[3].parameters.folder, null);
    assert.equal(await relay.metric('araldo_ws_folder_refusals_total', { endpoint: 'hub', reason: 'invalid_request' }), 4);
    c.close(1000);
  } finally {
    await relay.stop();
  }
});

test('rights from JWT claims: no read right gets an error and nothing; a device writes to its own folder', async () => {
  const relay = await Relay.start(config());
  try {
    const device = await open(relay, jwt({ sub: 'pi-7', folder: '/acme/greenhouse/pi-7', read: ['/acme/greenhouse/pi-7/**'] }, secret));
    assert.deepEqual(ofType(device, 'connect')[0].parameters.identity, 'pi-7');
    assert.deepEqual(ofType(device, 'connect')[0].parameters.folder, '/acme/greenhouse/pi-7');
    const viewer = await open(relay, jwt({ sub: 'ann', read: ['/acme/greenhouse/**'], write: [] }, secret));
    const admin = await open(relay);

    let answer = await request(device, 'subscribe', [{ folder: '/acme/greenhouse', include_children: true }]);
    assert.deepEqual(answer.at(-1).parameters,
      { request: 'subscribe', folder: '/acme/greenhouse', message: 'no read right on this folder' });
    answer = await request(device, 'subscribe', [{ folder: '/acme/greenhouse/pi-7', include_children: true }]);
    assert.equal(answer.at(-1).type, 'subscribed');
    // /acme with children is not readable as a whole for the viewer; /acme/greenhouse is.
    answer = await request(viewer, 'subscribe', [{ folder: '/acme', include_children: true }]);
    assert.equal(answer.at(-1).type, 'error');
    await request(viewer, 'subscribe', [{ folder: '/acme/greenhouse', include_children: true }]);
    await request(admin, 'subscribe', [{ folder: '/', include_children: true }]);

    // The device names no folder: its message goes to its own folder.
    device.send(JSON.stringify({ type: 'sensor_update', parameters: { c: 21.5 } }));
    // It may not write elsewhere; an error, and nobody hears it.
    device.send(JSON.stringify({ type: 'sensor_update', folder: '/acme/shed', parameters: { c: 99 } }));
    await waitUntil(() => ofType(device, 'error').length === 2);
    assert.deepEqual(ofType(device, 'error')[1].parameters,
      { request: 'message', folder: '/acme/shed', message: 'no write right on this folder' });
    const v = await dataMessages(viewer, 1);
    assert.deepEqual(v, [{ type: 'sensor_update', parameters: { c: 21.5 }, folder: '/acme/greenhouse/pi-7' }]);
    const a = await dataMessages(admin, 1);
    assert.equal(a[0].folder, '/acme/greenhouse/pi-7');
    // The sender does not hear itself (echo is off), though it subscribed to its folder.
    assert.equal((await dataMessages(device, 0)).length, 0);
    // The viewer may write nowhere, its own folder being none.
    viewer.send(JSON.stringify({ type: 'x', folder: '/acme/greenhouse', parameters: {} }));
    await waitUntil(() => ofType(viewer, 'error').length === 2);
    // A message elsewhere in /acme reaches the admin only.
    await emit(relay, '/acme/shed', { type: 'door', parameters: {} });
    assert.equal((await dataMessages(admin, 2)).length, 2);
    assert.equal((await dataMessages(viewer, 1)).length, 1);
    assert.equal(await relay.metric('araldo_ws_folder_refusals_total', { endpoint: 'hub', reason: 'no_read_right' }), 2);
    assert.equal(await relay.metric('araldo_ws_folder_refusals_total', { endpoint: 'hub', reason: 'no_write_right' }), 2);
    for (const c of [device, viewer, admin]) c.close(1000);
  } finally {
    await relay.stop();
  }
});

test('a client that comes back within the history resumes without a gap or a duplicate; too late is recovered: false', async () => {
  const relay = await Relay.start(config({ history: ', history: {size: 20, ttl: 5m}' }));
  try {
    let c = await open(relay);
    await request(c, 'subscribe', [{ folder: '/feed' }]);
    for (let i = 1; i <= 5; i++) await emit(relay, '/feed', { type: 'tick', parameters: { i } });
    const first = await dataMessages(c, 5);
    assert.deepEqual(first.map((m) => m.offset), [1, 2, 3, 4, 5]);
    const epoch = first[0].epoch;
    assert.ok(first.every((m) => m.epoch === epoch && m.folder === '/feed'));
    // Gone after the third; 7 more while away.
    c.terminate();
    for (let i = 6; i <= 12; i++) await emit(relay, '/feed', { type: 'tick', parameters: { i } });

    c = await open(relay);
    const answer = await request(c, 'subscribe', [{ folder: '/feed', since: { offset: 3, epoch } }]);
    assert.equal(answer.find((m) => m.type === 'subscribed').parameters.subscriptions[0].recovered, true);
    await emit(relay, '/feed', { type: 'tick', parameters: { i: 13 } });
    const resumed = await dataMessages(c, 10);
    assert.deepEqual(resumed.map((m) => m.parameters.i), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    assert.deepEqual(resumed.map((m) => m.offset), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    c.close(1000);

    // 25 more: the ring of 20 no longer holds offset 14.
    for (let i = 14; i <= 38; i++) await emit(relay, '/feed', { type: 'tick', parameters: { i } });
    const late = await open(relay);
    let a = await request(late, 'subscribe', [{ folder: '/feed', since: { offset: 13, epoch } }]);
    assert.equal(a.find((m) => m.type === 'subscribed').parameters.subscriptions[0].recovered, false);
    assert.equal((await dataMessages(late, 0)).length, 0);
    // Another epoch (a restarted relay) cannot be resumed either.
    const other = await open(relay);
    a = await request(other, 'subscribe', [{ folder: '/feed', since: { offset: 37, epoch: 'NOTTHEEPOCH0' } }]);
    assert.equal(a.find((m) => m.type === 'subscribed').parameters.subscriptions[0].recovered, false);
    // Up to date: recovered, nothing to send.
    const current = await open(relay);
    a = await request(current, 'subscribe', [{ folder: '/feed', since: { offset: 38, epoch } }]);
    assert.equal(a.find((m) => m.type === 'subscribed').parameters.subscriptions[0].recovered, true);
    assert.equal((await dataMessages(current, 0)).length, 0);
    assert.equal(await relay.metric('araldo_ws_resumes_total', { endpoint: 'hub', recovered: 'true' }), 2);
    assert.equal(await relay.metric('araldo_ws_resumes_total', { endpoint: 'hub', recovered: 'false' }), 2);
    for (const x of [late, other, current]) x.close(1000);
  } finally {
    await relay.stop();
  }
});

test('subscribed tells where the folder is, so a client that heard nothing yet can resume too', async () => {
  const relay = await Relay.start(config({ history: ', history: {size: 10}' }));
  try {
    let c = await open(relay);
    const a = await request(c, 'subscribe', [{ folder: '/quiet' }]);
    const { offset, epoch } = a.find((m) => m.type === 'subscribed').parameters.subscriptions[0];
    assert.equal(offset, 0);
    assert.match(epoch, /^[0-9A-Z]{12}$/);
    c.terminate();
    await emit(relay, '/quiet', { type: 'first', parameters: {} });
    c = await open(relay);
    const b = await request(c, 'subscribe', [{ folder: '/quiet', since: { offset, epoch } }]);
    const sub = b.find((m) => m.type === 'subscribed').parameters.subscriptions[0];
    assert.deepEqual([sub.recovered, sub.offset, sub.epoch], [true, 1, epoch]);
    assert.deepEqual((await dataMessages(c, 1)).map((m) => [m.type, m.offset]), [['first', 1]]);
    c.close(1000);
  } finally {
    await relay.stop();
  }
});

test('resume with children: a list of positions, one per folder, merged in delivery order', async () => {
  const relay = await Relay.start(config({ history: ', history: {size: 100}' }));
  try {
    let c = await open(relay);
    await request(c, 'subscribe', [{ folder: '/site', include_children: true, message_type: 'reading' }]);
    await emit(relay, '/site/a', { type: 'reading', parameters: { n: 1 } });
    await emit(relay, '/site/b', { type: 'reading', parameters: { n: 2 } });
    const seen = await dataMessages(c, 2);
    c.terminate();
    await emit(relay, '/site/b', { type: 'reading', parameters: { n: 3 } });
    await emit(relay, '/site/b', { type: 'other', parameters: { n: 4 } });   // another type: not replayed
    await emit(relay, '/site/a', { type: 'reading', parameters: { n: 5 } });
    c = await open(relay);
    const since = seen.map((m) => ({ folder: m.folder, offset: m.offset, epoch: m.epoch }));
    const a = await request(c, 'subscribe', [{ folder: '/site', include_children: true, message_type: 'reading', since }]);
    assert.equal(a.find((m) => m.type === 'subscribed').parameters.subscriptions[0].recovered, true);
    assert.deepEqual((await dataMessages(c, 2)).map((m) => m.parameters.n), [3, 5]);
    c.close(1000);
  } finally {
    await relay.stop();
  }
});

test('client events: connected at once, disconnected only when the identity stays away past offline-after', async () => {
  const relay = await Relay.start(`global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: hub, id: endpoint-websocket, path: /hub, marshalling: json, folders: true, client-events: true,
       offline-after: 1500ms, auth: {tokens: [open-token], jwt-secret: ${secret}}}
    - {name: watch, id: endpoint-websocket, path: /watch, marshalling: json}
routes:
  hub:
    - {to: watch, type: "client.*"}
`);
  try {
    const watcher = connect(relay.url('/watch'));
    await watcher.opened;
    const events = () => parsed(watcher).map((m) => `${m.type} ${m.parameters.identity}`);
    const device = jwt({ sub: 'pi-7', folder: '/acme/pi-7' }, secret);

    let c = await open(relay, device);
    await waitUntil(() => events().length === 1);
    const first = parsed(watcher)[0];
    assert.equal(first.type, 'client.connected');
    assert.equal(first.folder, '/acme/pi-7');
    assert.equal(first.parameters.folder, '/acme/pi-7');
    assert.match(first.parameters.remote_address, /^127\.0\.0\.1:\d+$/);

    // Five quick reconnects, a second connection among them: no event at all.
    for (let i = 0; i < 5; i++) {
      c.terminate();
      c = await open(relay, device);
    }
    const second = await open(relay, device);
    second.close(1000);
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(events(), ['client.connected pi-7']);

    // Away for good: one disconnected, after offline-after.
    c.close(1000);
    await waitUntil(() => events().length === 2, 5000, () => `disconnected; events ${events()}`);
    assert.deepEqual(events(), ['client.connected pi-7', 'client.disconnected pi-7']);

    // Without an identity: each connection is its own, announced both ways at once.
    const anon = await open(relay);
    await waitUntil(() => events().length === 3);
    anon.close(1000);
    await waitUntil(() => events().length === 4, 1000, () => 'an immediate disconnected');
    assert.deepEqual(events().slice(2), ['client.connected null', 'client.disconnected null']);
    watcher.close(1000);
  } finally {
    await relay.stop();
  }
});

test('keys: a key is an identity with rights; revoking it in the file closes its connections with 4001', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'araldo-ws-keys-'));
  const keysFile = join(dir, 'keys.yaml');
  writeFileSync(keysFile, `keys:
  - key: "device-key-0123456789"
    identity: pi-7
    folder: /acme/greenhouse/pi-7
    read: ["/acme/greenhouse/pi-7/**"]
  - key: "viewer-key-0123456789"
    identity: ann
    read: ["/acme/**"]
`);
  const relay = await Relay.start(`global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: hub, id: endpoint-websocket, path: /hub, marshalling: json, folders: true, keys-file: ${keysFile}}
routes:
  hub: [hub]
`);
  try {
    const device = await open(relay, 'device-key-0123456789');
    assert.deepEqual(ofType(device, 'connect')[0].parameters.identity, 'pi-7');
    assert.deepEqual(ofType(device, 'connect')[0].parameters.folder, '/acme/greenhouse/pi-7');
    const viewer = await open(relay, 'viewer-key-0123456789');
    let answer = await request(device, 'subscribe', [{ folder: '/acme', include_children: true }]);
    assert.equal(answer.at(-1).parameters.message, 'no read right on this folder');
    await request(viewer, 'subscribe', [{ folder: '/acme', include_children: true }]);
    device.send(JSON.stringify({ type: 'reading', parameters: { c: 20 } }));
    assert.deepEqual(await dataMessages(viewer, 1), [{ type: 'reading', parameters: { c: 20 }, folder: '/acme/greenhouse/pi-7' }]);
    // The viewer may read but not write.
    viewer.send(JSON.stringify({ type: 'x', folder: '/acme/greenhouse', parameters: {} }));
    await waitUntil(() => ofType(viewer, 'error').length === 1);
    assert.equal(await upgradeRefused(relay, 'not-a-key-0123456789'), 401);

    // Revoked with the CLI while connected: closed with 4001 (the watcher polls the
    // file every 250 ms; 2 s bounds the wait), and logged.
    execFileSync(process.env.ARALDO_BINARY, ['keys', 'revoke', '--file', keysFile, 'pi-7'], { stdio: 'pipe' });
    const closed = await Promise.race([device.closed, new Promise((r) => setTimeout(() => r(null), 2000))]);
    assert.ok(closed, 'the revoked key\'s connection was not closed');
    assert.equal(closed.code, 4001);
    assert.equal(closed.reason, 'key revoked');
    await relay.waitForLog(/key [0-9a-f]{12} revoked, closing with 4001/);
    assert.equal(await relay.metric('araldo_ws_disconnects_total', { endpoint: 'hub', reason: 'key_revoked' }), 1);
    // The viewer is untouched; the revoked key cannot come back.
    assert.equal(viewer.readyState, 1);
    assert.equal(await upgradeRefused(relay, 'device-key-0123456789'), 401);
    viewer.close(1000);
  } finally {
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function upgradeRefused(relay, token) {
  const c = connect(relay.url('/hub', `?token=${token}`));
  try {
    await c.opened;
    return 101;
  } catch (e) {
    return e.status;
  }
}
