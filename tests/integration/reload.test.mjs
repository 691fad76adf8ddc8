// SIGHUP and POST /_admin/reload reload the config file through the real
// binary: WebSocket clients stay connected through many reloads and every
// message after a reload follows the new table; endpoints are added, removed
// and restarted; a broken file, or one that changes a global setting,
// changes nothing and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Relay, connect, upgradeStatus, waitUntil } from '../support/araldo.mjs';

const config = (routes, { maxClients = 1000, shutdown = '5s' } = {}) => `global:
  server-port: 0
  shutdown-timeout: ${shutdown}
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit, marshalling: json}
    - {name: a, id: endpoint-websocket, path: /a, marshalling: json, max-clients: ${maxClients}}
    - {name: b, id: endpoint-websocket, path: /b, marshalling: json, max-clients: ${maxClients}}
routes:
${routes}
`;

async function post(relay, n) {
  const r = await fetch(`http://127.0.0.1:${relay.port}/emit`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'n', parameters: { n } }),
  });
  assert.equal(r.status, 202, await r.text());
}

const reloads = (relay, result) => relay.metric('araldo_config_reloads_total', { result });

async function reload(relay, text, result, count) {
  writeFileSync(join(relay.dir, 'araldo.yaml'), text);
  relay.signal('SIGHUP');
  await waitUntil(async () => (await reloads(relay, result)) === count, 10000, () => `reload ${count} (${result})`);
}

const numbers = (c) => c.received.map((m) => JSON.parse(m.data.toString()).parameters.n);

test('500 clients stay connected through 100 reloads; each message follows the table of its time', async () => {
  const relay = await Relay.start(config('  emit: [a]'));
  try {
    const onA = Array.from({ length: 250 }, () => connect(relay.url('/a')));
    const onB = Array.from({ length: 250 }, () => connect(relay.url('/b')));
    await Promise.all([...onA, ...onB].map((c) => c.opened));
    const toA = [], toB = [];
    for (let i = 1; i <= 100; i++) {
      const target = i % 2 === 0 ? 'a' : 'b';
      await reload(relay, config(`  emit: [${target}]`), 'ok', i);
      await post(relay, i);
      (target === 'a' ? toA : toB).push(i);
    }
    await waitUntil(() => onA.every((c) => c.received.length >= 50) && onB.every((c) => c.received.length >= 50), 20000,
      () => 'every message');
    await new Promise((r) => setTimeout(r, 200));
    for (const c of onA) assert.deepEqual(numbers(c), toA);
    for (const c of onB) assert.deepEqual(numbers(c), toB);
    assert.ok([...onA, ...onB].every((c) => c.readyState === 1), 'a client was dropped');
    assert.equal(await relay.metric('araldo_ws_clients', { endpoint: 'a' }), 250);
    assert.equal(await relay.metric('araldo_ws_clients', { endpoint: 'b' }), 250);
    await relay.waitForLog(/configuration reloaded from .*araldo\.yaml \([0-9a-f]{16}\): 1 routes/);
    for (const c of [...onA, ...onB]) c.close(1000);
  } finally {
    await relay.stop();
  }
});

test('a broken file, or one that changes a global setting, changes nothing and says why', async () => {
  const relay = await Relay.start(config('  emit: [a]'));
  try {
    const a = connect(relay.url('/a'));
    const b = connect(relay.url('/b'));
    await Promise.all([a.opened, b.opened]);
    const hash = async () => JSON.parse(await (await fetch(`http://127.0.0.1:${relay.port}/_health/?full`)).text()).config;
    const before = await hash();
    assert.match(before, /^[0-9a-f]{16}$/);

    // A route to an endpoint that does not exist: the error names file:line:col.
    await reload(relay, config('  emit: [a]\n  emit: [nowhere]'), 'invalid', 1);
    await relay.waitForLog(/configuration not reloaded, nothing changed: .*araldo\.yaml:\d+:\d+: /);
    // A global setting changed: that needs a restart.
    await reload(relay, config('  emit: [b]', { shutdown: '3s' }), 'needs_restart', 1);
    await relay.waitForLog(/configuration not reloaded, nothing changed: marshallers or global settings changed/);
    assert.equal(await hash(), before);
    await post(relay, 1);
    await waitUntil(() => a.received.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.received.length, 0, 'the refused reloads changed the routes');

    // Fixed: applied, and the health document names the new file.
    await reload(relay, config('  emit: [a, b]'), 'ok', 1);
    assert.notEqual(await hash(), before);
    await post(relay, 2);
    await waitUntil(() => a.received.length === 2 && b.received.length === 1);
    assert.equal(readFileSync(join(relay.dir, 'araldo.yaml'), 'utf8').includes('emit: [a, b]'), true);
    a.close(1000);
    b.close(1000);
  } finally {
    await relay.stop();
  }
});

test('araldo reload checks the file first, then signals the relay on its data-dir', async () => {
  const relay = await Relay.start(config('  emit: [a]'));
  const file = join(relay.dir, 'araldo.yaml');
  const reloadCommand = () => {
    try {
      return { code: 0, out: execFileSync(process.env.ARALDO_BINARY, ['reload', '-c', file], { cwd: relay.dir, stdio: 'pipe' }).toString() };
    } catch (e) {
      return { code: e.status, out: e.stdout.toString(), err: e.stderr.toString() };
    }
  };
  try {
    // Broken: exit 2 with file:line:col, and the relay is not even signalled.
    writeFileSync(file, config('  emit: [nowhere]'));
    const bad = reloadCommand();
    assert.equal(bad.code, 2);
    assert.match(bad.err, /araldo\.yaml:\d+:\d+: route target 'nowhere' is not a defined endpoint/);
    assert.equal(await reloads(relay, 'invalid'), 0);

    writeFileSync(file, config('  emit: [b]'));
    const good = reloadCommand();
    assert.equal(good.code, 0, good.err);
    assert.match(good.out, /is valid; sent SIGHUP to the relay \(pid \d+\)/);
    await waitUntil(async () => (await reloads(relay, 'ok')) === 1);

    // The relay gone (its folder kept until stop() below): nothing to signal.
    relay.signal('SIGTERM');
    await relay.exited;
    const none = reloadCommand();
    assert.equal(none.code, 1);
    assert.match(none.err, /no relay is running on data-dir/);
  } finally {
    await relay.stop();
  }
});

// Endpoints as the reload test below changes them: `a` untouched throughout.
const endpointsConfig = ({ b = true, c = false, emit2 = false, aLimit = 1000, aPing = '25s', cTokens = '', bad = '' } = {}) => `global:
  server-port: 0
  admin-token: reload-test-token
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit, marshalling: json}
    - {name: a, id: endpoint-websocket, path: /a, marshalling: json, max-clients: ${aLimit}, ping-interval: ${aPing}}
${b ? '    - {name: b, id: endpoint-websocket, path: /b, marshalling: json}\n' : ''}\
${c ? `    - {name: c, id: endpoint-websocket, path: /c, marshalling: json${cTokens ? `, auth: {tokens: [${cTokens}]}` : ''}}\n` : ''}\
${emit2 ? '    - {name: emit2, id: endpoint-http, path: /emit2, marshalling: json}\n' : ''}\
${bad}\
routes:
  emit: [a${b ? ', b' : ''}${c ? ', c' : ''}]
${emit2 ? '  emit2: [a]\n' : ''}`;

async function adminReload(relay, text) {
  writeFileSync(join(relay.dir, 'araldo.yaml'), text);
  const r = await fetch(`http://127.0.0.1:${relay.port}/_admin/reload`, {
    method: 'POST', headers: { Authorization: 'Bearer reload-test-token' },
  });
  return { status: r.status, body: await r.json() };
}

const opens = async (relay, path) => (await upgradeStatus(relay.url(path))) === 101;

test('a reload adds, removes, reconfigures and restarts endpoints; an untouched one never notices', async () => {
  const relay = await Relay.start(endpointsConfig());
  try {
    const a = connect(relay.url('/a'));
    const b = connect(relay.url('/b'));
    await Promise.all([a.opened, b.opened]);
    assert.equal(await opens(relay, '/c'), false, '/c before it exists');

    // b removed, c and emit2 added: SIGHUP.
    await reload(relay, endpointsConfig({ b: false, c: true, emit2: true }), 'ok', 1);
    await relay.waitForLog(/endpoints 2 added, 1 removed, 0 changed/);
    const bClosed = await b.closed;
    assert.ok([1001, 1012].includes(bClosed.code), `b's client closed with ${bClosed.code}`);
    assert.equal(await opens(relay, '/b'), false, '/b after its endpoint was removed');
    const c = connect(relay.url('/c'));
    await c.opened;
    await post(relay, 1);
    const viaEmit2 = await fetch(`http://127.0.0.1:${relay.port}/emit2`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'n', parameters: { n: 2 } }),
    });
    assert.equal(viaEmit2.status, 202);
    await waitUntil(() => a.received.length === 2 && c.received.length === 1, 5000, () => 'a and c hear the new table');
    assert.deepEqual(numbers(a), [1, 2]);
    assert.deepEqual(numbers(c), [1]);
    assert.equal(await relay.metric('araldo_endpoint_up', { endpoint: 'c' }), 1);
    assert.ok(!(await relay.metrics()).includes('araldo_endpoint_up{endpoint="b"}'), 'the removed endpoint is still listed');

    // By POST /_admin/reload: a's client limit and c's tokens change in place
    // (both keep their clients; c's rules apply to new connections), then a
    // ping interval, which restarts a (its client is closed and may come back).
    const inPlace = await adminReload(relay, endpointsConfig({ b: false, c: true, emit2: true, aLimit: 10, cTokens: 'sesame' }));
    assert.equal(inPlace.status, 200, JSON.stringify(inPlace.body));
    assert.equal(inPlace.body.result, 'ok');
    assert.match(inPlace.body.config_hash, /^[0-9a-f]{16}$/);
    await relay.waitForLog(/endpoint c took its new options in place/);
    await relay.waitForLog(/endpoint a took its new options in place/);
    assert.equal(await opens(relay, '/c'), false, 'a client without the new token was let in');
    assert.equal(await opens(relay, '/c?token=sesame'), true, 'the new token was refused');
    await post(relay, 3);
    await waitUntil(() => a.received.length === 3 && c.received.length === 2, 5000, () => 'a and c kept their clients');

    const restarted = await adminReload(relay, endpointsConfig({ b: false, c: true, emit2: true, aLimit: 10, aPing: '20s', cTokens: 'sesame' }));
    assert.equal(restarted.status, 200, JSON.stringify(restarted.body));
    await a.closed;
    await relay.waitForLog(/endpoint a restarted with its new options/);
    const a2 = connect(relay.url('/a'));
    await a2.opened;
    await post(relay, 4);
    await waitUntil(() => a2.received.length === 1 && c.received.length === 3, 5000, () => 'the restarted a hears');
    assert.equal(c.readyState, 1, 'the untouched endpoint dropped its client');

    // Refused through the admin API: the reason in the answer, nothing changed.
    const broken = await adminReload(relay, endpointsConfig({ c: true, cTokens: 'sesame', bad: '    - {name: d, id: endpoint-nowhere}\n' }));
    assert.equal(broken.status, 400);
    assert.match(broken.body.error, /araldo\.yaml:\d+:\d+: unknown endpoint id 'endpoint-nowhere'/);
    const global = await adminReload(relay, endpointsConfig({ c: true, cTokens: 'sesame' }).replace('server-port: 0', 'server-port: 0\n  shutdown-timeout: 7s'));
    assert.equal(global.status, 409);
    assert.equal(await opens(relay, '/b'), false, 'a refused reload added b');
    await post(relay, 5);
    await waitUntil(() => a2.received.length === 2 && c.received.length === 4);
    assert.equal(await reloads(relay, 'ok'), 3);
    assert.equal(await reloads(relay, 'invalid'), 1);
    for (const x of [a2, c]) x.close(1000);
  } finally {
    await relay.stop();
  }
});

test('a plugin copied into a plugin folder after the start is loaded by the next reload', async () => {
  const built = join(dirname(process.env.ARALDO_BINARY), 'example-plugins', 'araldo-endpoint-example-responder.so');
  const folder = mkdtempSync(join(tmpdir(), 'araldo-more-plugins-'));  // empty at the start
  const text = (responder) => `global:
  server-port: 0
  plugin-dirs: ["${folder}"]
plugins:
  araldo.marshalling:
    - {name: raw, id: marshal-raw}
  araldo.endpoints.endpoint:
    - {name: api, id: endpoint-http, path: /api, mode: request, marshalling: raw}
${responder ? '    - {name: responder, id: endpoint-example-responder, marshalling: raw}\n' : ''}\
routes:
${responder ? '  api: [responder]' : '  {}'}
`;
  const relay = await Relay.start(text(false));
  try {
    const time = () => fetch(`http://127.0.0.1:${relay.port}/api/time`);
    assert.equal((await time()).status, 503, 'a request nobody answers');
    copyFileSync(built, join(folder, 'araldo-endpoint-example-responder.so'));
    await reload(relay, text(true), 'ok', 1);
    await relay.waitForLog(/endpoints 1 added, 0 removed, 0 changed/);
    const answer = await time();
    assert.equal(answer.status, 200);
    assert.ok(Number.isInteger((await answer.json()).time_from_server));
  } finally {
    await relay.stop();
    rmSync(folder, { recursive: true, force: true });
  }
});

test('a webhook removed by a reload keeps what it still had to deliver; added back, it delivers it once', async () => {
  let failing = true;
  const delivered = [];
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (!failing) delivered.push(Buffer.concat(chunks).toString());
      res.writeHead(failing ? 503 : 200);
      res.end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const text = (hooks) => `global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit, marshalling: json}
${hooks ? `    - {name: hooks, id: endpoint-webhook, url: "http://127.0.0.1:${receiver.address().port}/in", retry-schedule: [0s, 3s, 3s]}\n` : ''}\
routes:
${hooks ? '  emit: [hooks]' : '  {}'}
`;
  const relay = await Relay.start(text(true));
  try {
    await post(relay, 7);
    await relay.waitForLog(/RESPONSE \S+ 503/);  // the first attempt failed; the next is 3 s away
    await reload(relay, text(false), 'ok', 1);
    await relay.waitForLog(/endpoints 0 added, 1 removed, 0 changed/);
    failing = false;
    await reload(relay, text(true), 'ok', 2);
    await waitUntil(() => delivered.length === 1, 15000, () => 'the kept delivery after the webhook came back');
    assert.equal(JSON.parse(delivered[0]).parameters.n, 7);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(delivered.length, 1, 'delivered twice');
  } finally {
    await relay.stop();
    receiver.close();
  }
});
