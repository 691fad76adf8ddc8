// SIGHUP reloads the routes of the config file through the real binary:
// WebSocket clients stay connected through many reloads and every message
// after a reload follows the new table; a broken file, or one that changes
// more than routes, changes nothing and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Relay, connect, waitUntil } from '../support/araldo.mjs';

const config = (routes, { maxClients = 1000 } = {}) => `global:
  server-port: 0
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

test('a broken file, or one that changes an endpoint, changes nothing and says why', async () => {
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
    // An endpoint's options changed: not applied by a reload yet.
    await reload(relay, config('  emit: [b]', { maxClients: 5 }), 'needs_restart', 1);
    await relay.waitForLog(/configuration not reloaded, nothing changed: only routes are applied/);
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
