// endpoint-mqtt against a real Mosquitto (the Debian broker) on a free
// loopback port, with mosquitto_pub and mosquitto_sub as the devices and the
// real araldo binary in between: both directions with + and # filters,
// retained messages, the no-loop rule, a wrong password in /_health/?full,
// QoS 1 across a broker restart with persistent sessions, and TLS with a
// client certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Relay, freePort, makeTestPki, waitUntil } from '../../support/araldo.mjs';
import { Mosquitto, passwordFile } from '../../support/mosquitto.mjs';

// `endpoints`: more lines of the endpoint list, indented by four spaces.
const config = (endpoints, routes) => `global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: raw, id: marshal-raw}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit, marshalling: raw}
${endpoints}
routes:
${routes}
`;

async function health(relay) {
  const res = await fetch(`http://127.0.0.1:${relay.port}/_health/?full`);
  return res.text();
}

async function emit(relay, folder, body) {
  const res = await fetch(`http://127.0.0.1:${relay.port}/emit?folder=${encodeURIComponent(folder)}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body,
  });
  assert.equal(res.status, 202, await res.text());
}

const connected = (relay, endpoint) => waitUntil(async () => (await relay.metric('araldo_mqtt_connected', { endpoint })) === 1,
  10000, () => `${endpoint} connected; stderr:\n${relay.stderr}`);

test('devices to araldo and back: + and # filters, attributes, folders, retained messages, no loop', async () => {
  const broker = await Mosquitto.start();
  // A retained message, there before araldo subscribes.
  broker.pub(['-r', '-q', '1', '-t', 'greenhouse/pi-9/sensors/hum', '-m', '40']);
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const relay = await Relay.start(config(`
    - name: devices
      id: endpoint-mqtt
      url: ${url}
      marshalling: raw
      subscribe: [{topic: "greenhouse/+/sensors/#", qos: 1}]
      folder: "/{topic}"
      publish: {topic: "araldo{folder}", qos: 1}
    - name: seen
      id: endpoint-mqtt
      url: ${url}
      marshalling: raw
      publish: {topic: "seen/{mqtt.qos}/{mqtt.retain}{folder}"}
    - name: mirror
      id: endpoint-mqtt
      url: ${url}
      marshalling: raw
      subscribe: [{topic: "loop/#"}]
      publish: {topic: "{mqtt.topic}"}`, `  emit: [devices]
  devices: [seen]
  mirror: [mirror]`));
  const sub = broker.subscribe(['-v', '-t', 'seen/#', '-t', 'araldo/#', '-t', 'loop/#', '-t', 'probe/x']);
  try {
    await broker.ready(sub, 'probe/x');
    await Promise.all(['devices', 'seen', 'mirror'].map((e) => connected(relay, e)));
    broker.pub(['-q', '1', '-t', 'greenhouse/pi-7/sensors/air/temp', '-m', '21.5']);
    broker.pub(['-t', 'greenhouse/pi-7/status', '-m', 'not matched']);
    broker.pub(['-t', 'loop/a', '-m', 'once']);
    await emit(relay, '/acme/pi-7', 'open');
    // Four lines, however many probes got through first: the retained and the
    // live reading as seen, loop/a once, and the emitted command.
    const real = () => sub.lines.filter((l) => !l.includes('probe'));
    await waitUntil(() => real().length >= 4, 10000, () => `lines: ${JSON.stringify(sub.lines)}`);
    const lines = real();
    // The retained message keeps its flag, the live one arrives with QoS 1.
    assert.ok(lines.includes('0 seen/1/true/greenhouse/pi-9/sensors/hum 40'), JSON.stringify(lines));
    assert.ok(lines.includes('0 seen/1/false/greenhouse/pi-7/sensors/air/temp 21.5'), JSON.stringify(lines));
    assert.ok(lines.includes('0 araldo/acme/pi-7 open'), JSON.stringify(lines));
    assert.ok(!lines.some((l) => l.includes('not matched') && l.startsWith('0 seen')), JSON.stringify(lines));
    // mirror would publish loop/a back to loop/a: counted, not published.
    await waitUntil(async () => (await relay.metric('araldo_mqtt_dropped_total', { endpoint: 'mirror', reason: 'loop' })) === 1);
    assert.deepEqual(lines.filter((l) => l.includes('loop/a')), ['0 loop/a once']);
    assert.equal(await relay.metric('araldo_mqtt_received_total', { endpoint: 'devices' }), 2);
    assert.equal(await relay.metric('araldo_mqtt_published_total', { endpoint: 'devices' }), 1);
    assert.equal(await relay.metric('araldo_mqtt_inflight', { endpoint: 'devices' }), 0);
  } finally {
    await sub.stop();
    await relay.stop();
    await broker.stop();
  }
});

test('a topic that makes no valid folder is dropped and counted; publish retain reaches a later subscriber', async () => {
  const broker = await Mosquitto.start();
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const relay = await Relay.start(config(`
    - name: devices
      id: endpoint-mqtt
      url: ${url}
      marshalling: raw
      subscribe: [{topic: "#"}]
      folder: "/{topic}"
    - name: out
      id: endpoint-mqtt
      url: ${url}
      marshalling: raw
      publish: {topic: "state{folder}", retain: true}`, `  emit: [out]`));
  try {
    await connected(relay, 'devices');
    await connected(relay, 'out');
    broker.pub(['-t', 'a//b', '-m', 'empty level']);
    await waitUntil(async () => (await relay.metric('araldo_mqtt_dropped_total', { endpoint: 'devices', reason: 'invalid_folder' })) === 1);
    await emit(relay, '/pi-3', 'on');
    await waitUntil(async () => (await relay.metric('araldo_mqtt_published_total', { endpoint: 'out' })) === 1);
    const late = broker.subscribe(['-C', '1', '-W', '10', '-t', 'state/#']);
    assert.equal(await late.exited, 0, late.err);
    assert.deepEqual(late.lines, ['1 state/pi-3 on']);
  } finally {
    await relay.stop();
    await broker.stop();
  }
});

test('inbound messages over max-message-size: dropped, counted and acknowledged, so a resumed session does not get them again', async () => {
  const broker = await Mosquitto.start();
  const dir = mkdtempSync(join(tmpdir(), 'araldo-mqtt-big-'));
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const relayConfig = config(`
    - name: devices
      id: endpoint-mqtt
      url: ${url}
      client-id: big-reader
      clean-start: false
      session-expiry: 1h
      max-message-size: 1KiB
      marshalling: raw
      subscribe: [{topic: "big/#", qos: 1}]
    - name: out
      id: endpoint-mqtt
      url: ${url}
      marshalling: raw
      publish: {topic: "seen/{mqtt.topic}"}`, `  devices: [out]`);
  const tooLarge = (relay) => relay.metric('araldo_mqtt_dropped_total', { endpoint: 'devices', reason: 'too_large_in' });
  const sub = broker.subscribe(['-t', 'seen/#']);
  let relay = await Relay.start(relayConfig);
  try {
    await connected(relay, 'devices');
    await connected(relay, 'out');
    await broker.ready(sub, 'seen/probe');
    // 2 KiB fits the read buffer and is dropped whole; 300 KiB does not fit
    // (1 KiB + 70 KiB) and is skipped as it arrives.
    const mid = join(dir, 'mid'), huge = join(dir, 'huge');
    writeFileSync(mid, 'm'.repeat(2048));
    writeFileSync(huge, 'h'.repeat(300 * 1024));
    broker.pub(['-q', '1', '-t', 'big/mid', '-f', mid]);
    broker.pub(['-q', '1', '-t', 'big/huge', '-f', huge]);
    broker.pub(['-q', '1', '-t', 'big/small', '-m', 'fits']);
    await waitUntil(() => sub.lines.includes('0 seen/big/small fits'), 10000, () => JSON.stringify(sub.lines) + relay.stderr);
    await waitUntil(async () => (await tooLarge(relay)) === 2, 10000, () => relay.stderr);
    await relay.waitForLog(/inbound message larger than max-message-size \(2048 bytes\) on "big\/mid": dropped/);
    await relay.waitForLog(/inbound message larger than max-message-size \(a 3072\d\d-byte packet\) on "big\/huge": dropped/);
    assert.ok(!sub.lines.some((l) => l.includes('seen/big/mid') || l.includes('seen/big/huge')), JSON.stringify(sub.lines));

    // The same session again: the broker resends what it was not acknowledged first.
    await relay.stop();
    relay = await Relay.start(relayConfig);
    await connected(relay, 'devices');
    await connected(relay, 'out');
    broker.pub(['-q', '1', '-t', 'big/small', '-m', 'after']);
    await waitUntil(() => sub.lines.includes('0 seen/big/small after'), 10000, () => JSON.stringify(sub.lines) + relay.stderr);
    await relay.waitForLog(/session resumed/);
    assert.equal(await tooLarge(relay), 0, relay.stderr);
    assert.equal(sub.lines.filter((l) => l.includes('seen/big/small fits')).length, 1, JSON.stringify(sub.lines));
  } finally {
    await relay.stop();
    await sub.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a broker that takes QoS 0 at most, keeps no retained messages and takes 200-byte packets: publishes follow what its CONNACK said', async () => {
  const broker = await Mosquitto.start('max_qos 0\nretain_available false\nmax_packet_size 200\n');
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const relay = await Relay.start(config(`
    - name: out
      id: endpoint-mqtt
      url: ${url}
      marshalling: raw
      publish: {topic: "limited{folder}", qos: 1, retain: true}`, '  emit: [out]'));
  const sub = broker.subscribe(['-t', 'limited/#']);
  try {
    await connected(relay, 'out');
    await broker.ready(sub, 'limited/probe');
    await emit(relay, '/a', 'one');
    await emit(relay, '/a', 'x'.repeat(300));
    await emit(relay, '/a', 'two');
    await waitUntil(() => sub.lines.includes('0 limited/a two'), 10000, () => JSON.stringify(sub.lines) + relay.stderr);
    assert.ok(sub.lines.includes('0 limited/a one'), JSON.stringify(sub.lines));
    await relay.waitForLog(/the broker takes QoS 0 at most: publishing at QoS 0/);
    await relay.waitForLog(/the broker keeps no retained messages: publishing without the retain flag/);
    assert.ok(!sub.lines.some((l) => l.includes('xxx')), JSON.stringify(sub.lines));
    assert.equal(await relay.metric('araldo_mqtt_dropped_total', { endpoint: 'out', reason: 'too_large' }), 1);
    await relay.waitForLog(/larger than the broker's maximum packet size \(200 bytes\), topic "limited\/a": dropped/);
    await waitUntil(async () => (await relay.metric('araldo_mqtt_published_total', { endpoint: 'out' })) === 2);
    // Still the first connection: the broker never had to refuse a publish.
    assert.equal(await relay.metric('araldo_mqtt_reconnects_total', { endpoint: 'out' }), 0, relay.stderr);
    assert.equal(await relay.metric('araldo_mqtt_inflight', { endpoint: 'out' }), 0);
  } finally {
    await relay.stop();
    await sub.stop();
    await broker.stop();
  }
});

test('a port that accepts and never answers: no CONNACK (mqtt://) or no handshake (mqtts://) within 10 s, in health', async () => {
  const silent = createServer((socket) => { socket.on('error', () => {}); });
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = silent.address().port;
  const relay = await Relay.start(config(`
    - name: plain
      id: endpoint-mqtt
      url: mqtt://127.0.0.1:${port}
      marshalling: raw
      subscribe: [{topic: "x"}]
    - name: tls
      id: endpoint-mqtt
      url: mqtts://127.0.0.1:${port}
      marshalling: raw
      subscribe: [{topic: "x"}]`, '  {}'));
  try {
    await waitUntil(async () => {
      const text = await health(relay);
      return /plain.*no CONNACK from the broker within 10 s/.test(text) && /"tls".*no connection within 10 s/.test(text);
    }, 20000, () => relay.stderr);
  } finally {
    await relay.stop();
    silent.close();
  }
});

// The Mosquitto configuration docs/mqtt.md shows, with this test's port and files.
function documentedConf() {
  const doc = readFileSync(new URL('../../../docs/mqtt.md', import.meta.url), 'utf8');
  const m = doc.match(/<!-- checked by tests\/plugins\/endpoint-mqtt -->\n```conf\n([\s\S]*?)```/);
  assert.ok(m, 'docs/mqtt.md lost its checked mosquitto.conf block');
  return m[1].replace('listener 1883 ', 'listener {PORT} ').replace('/etc/mosquitto/passwd', '{DIR}/passwd')
    .replace('/var/lib/mosquitto/', '{DIR}/');
}

test('the documented Mosquitto configuration: a wrong password shows in /_health/?full, the right one connects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'araldo-mqtt-'));
  const conf = documentedConf();
  assert.match(conf, /listener \{PORT\} /);
  passwordFile(join(dir, 'passwd'), { araldo: 's3cret' });
  const broker = await Mosquitto.start(conf.replace('{DIR}/passwd', join(dir, 'passwd')));
  const endpoint = (name, password, protocol = '5') => `
    - name: ${name}
      id: endpoint-mqtt
      url: mqtt://araldo:${password}@127.0.0.1:${broker.port}
      protocol: "${protocol}"
      marshalling: raw
      publish: {topic: "v${protocol}{folder}"}
      reconnect: {min: 50ms, max: 200ms}`;
  const relay = await Relay.start(config(endpoint('good', 's3cret') + endpoint('bad', 'wrong') +
    endpoint('good311', 's3cret', '3.1.1') + endpoint('bad311', 'wrong', '3.1.1'), '  emit: [good, bad, good311]'));
  const sub = broker.subscribe(['-u', 'araldo', '-P', 's3cret', '-t', 'v5/#', '-t', 'v3.1.1/#']);
  try {
    await connected(relay, 'good');
    await connected(relay, 'good311');
    await waitUntil(async () => (await health(relay)).match(/not authori[sz]ed/gi)?.length === 2, 10000, () => relay.stderr);
    const problems = JSON.parse(await health(relay)).problems;
    assert.deepEqual(problems.map((p) => p.endpoint), ['bad', 'bad311']);
    assert.match(problems[0].problem, /^disconnected from mqtt:\/\/127\.0\.0\.1:\d+ since .*: the broker refused the connection: Not authori[sz]ed/);
    assert.match(problems[1].problem, /the broker refused the connection: Connection Refused: not authori[sz]ed/);
    // Both protocol versions publish what is routed to them.
    await waitUntil(async () => {
      await emit(relay, '/x', 'hello');
      return sub.lines.includes('0 v5/x hello') && sub.lines.includes('0 v3.1.1/x hello');
    }, 10000, () => JSON.stringify(sub.lines) + sub.err);
    assert.ok(!(await health(relay)).includes('wrong'), 'the password never shows');
    assert.ok(!relay.stderr.includes('wrong@'), 'the password is never logged');
  } finally {
    await sub.stop();
    await relay.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('QoS 1 across a broker restart: persistent sessions lose nothing the broker acknowledged', async () => {
  const broker = await Mosquitto.start('persistence true\npersistence_location {DIR}/\nmax_queued_messages 10000\n');
  const collector = ['-V', '5', '-i', 'collector', '-c', '-x', '3600', '-q', '1', '-t', 'q/#'];
  // The collector's persistent session: subscribed, then offline, so the broker keeps its messages.
  const first = broker.subscribe(collector);
  await broker.ready(first, 'q/probe');
  await first.stop();
  const relay = await Relay.start(config(`
    - name: out
      id: endpoint-mqtt
      url: mqtt://127.0.0.1:${broker.port}
      marshalling: raw
      client-id: araldo-out
      clean-start: false
      session-expiry: 1h
      publish: {topic: "q{folder}", qos: 1}
      reconnect: {min: 50ms, max: 200ms}`, '  emit: [out]'));
  const n = 300;
  try {
    await connected(relay, 'out');
    for (let i = 1; i <= n; i++) {
      await emit(relay, `/m/${i}`, `m${i}`);
      if (i === 100) await broker.restart();  // araldo queues what comes while the broker is away
    }
    await waitUntil(async () => (await relay.metric('araldo_mqtt_published_total', { endpoint: 'out' })) >= n &&
      (await relay.metric('araldo_mqtt_inflight', { endpoint: 'out' })) === 0, 20000, () => relay.stderr);
    assert.ok((await relay.metric('araldo_mqtt_reconnects_total', { endpoint: 'out' })) >= 1);
    await broker.restart();  // and what the broker acknowledged survives it
    const second = broker.subscribe([...collector, '-W', '15']);
    await waitUntil(() => new Set(second.lines.filter((l) => l.includes(' q/m/'))).size >= n, 15000,
      () => `${second.lines.length} lines; ${second.err}`);
    await second.stop();
    const got = new Set(second.lines.map((l) => l.split(' ')[2]).filter((p) => p?.startsWith('m')));
    const missing = Array.from({ length: n }, (_, i) => `m${i + 1}`).filter((m) => !got.has(m));
    assert.deepEqual(missing, []);
  } finally {
    await relay.stop();
    await broker.stop();
  }
});

test('a persistent session (MQTT 5 session expiry) gets the QoS 1 messages published while araldo was away', async () => {
  const broker = await Mosquitto.start();
  const yaml = config(`
    - name: devices
      id: endpoint-mqtt
      url: mqtt://127.0.0.1:${broker.port}
      marshalling: raw
      client-id: araldo-in
      clean-start: false
      session-expiry: 1h
      subscribe: [{topic: "sensors/#", qos: 1}]`, '  emit: [devices]');
  let relay = await Relay.start(yaml);
  try {
    await connected(relay, 'devices');
    broker.pub(['-q', '1', '-t', 'sensors/a', '-m', 'while up']);
    await waitUntil(async () => (await relay.metric('araldo_mqtt_received_total', { endpoint: 'devices' })) === 1);
    await relay.stop();
    for (let i = 1; i <= 5; i++) broker.pub(['-q', '1', '-t', `sensors/${i}`, '-m', `while away ${i}`]);
    relay = await Relay.start(yaml);
    await waitUntil(async () => (await relay.metric('araldo_mqtt_received_total', { endpoint: 'devices' })) === 5, 10000,
      () => relay.stderr);
    await relay.waitForLog(/connected to mqtt:\/\/127\.0\.0\.1:\d+ \(session resumed\)/);
  } finally {
    await relay.stop();
    await broker.stop();
  }
});

test('QoS 1 publishes the broker never acknowledged are resent after the reconnect', async () => {
  const broker = await Mosquitto.start('persistence true\npersistence_location {DIR}/\n');
  const collector = ['-V', '5', '-i', 'collector', '-c', '-x', '3600', '-q', '1', '-t', 'r/#'];
  const first = broker.subscribe(collector);
  await broker.ready(first, 'r/probe');
  await first.stop();
  await broker.restart();  // the collector's session is in the broker's database now
  const relay = await Relay.start(config(`
    - name: out
      id: endpoint-mqtt
      url: mqtt://127.0.0.1:${broker.port}
      marshalling: raw
      client-id: araldo-out
      clean-start: false
      session-expiry: 1h
      publish: {topic: "r{folder}", qos: 1}
      reconnect: {min: 50ms, max: 200ms}`, '  emit: [out]'));
  const n = 20;
  try {
    await connected(relay, 'out');
    broker.freeze();  // reads nothing, acknowledges nothing
    for (let i = 1; i <= n; i++) await emit(relay, `/m/${i}`, `m${i}`);
    await waitUntil(async () => (await relay.metric('araldo_mqtt_inflight', { endpoint: 'out' })) === n);
    assert.equal(await relay.metric('araldo_mqtt_published_total', { endpoint: 'out' }), 0);
    await broker.crash();  // they die unread with it
    await broker.launch();
    await waitUntil(async () => (await relay.metric('araldo_mqtt_published_total', { endpoint: 'out' })) === n &&
      (await relay.metric('araldo_mqtt_inflight', { endpoint: 'out' })) === 0, 15000, () => relay.stderr);
    const second = broker.subscribe([...collector, '-W', '15']);
    await waitUntil(() => new Set(second.lines.filter((l) => l.includes(' r/m/'))).size >= n, 15000,
      () => `${JSON.stringify(second.lines)}; ${second.err}`);
    await second.stop();
  } finally {
    broker.thaw();
    await relay.stop();
    await broker.stop();
  }
});

test('mqtts:// to Mosquitto\'s TLS listener with a client certificate (require_certificate)', async () => {
  const pkiDir = mkdtempSync(join(tmpdir(), 'araldo-mqtt-pki-'));
  const pki = makeTestPki(pkiDir);
  const broker = await Mosquitto.start(`listener {PORT} 127.0.0.1
allow_anonymous true
cafile ${pki('ca.pem')}
certfile ${pki('server.pem')}
keyfile ${pki('server.key')}
require_certificate true
`);
  const tls = ['-h', '127.0.0.1', '-p', String(broker.port), '--cafile', pki('ca.pem'), '--cert', pki('client.pem'), '--key', pki('client.key')];
  const endpoint = (name, tlsBlock) => `
    - name: ${name}
      id: endpoint-mqtt
      url: mqtts://127.0.0.1:${broker.port}
      tls: ${tlsBlock}
      marshalling: raw
      subscribe: [{topic: "dev/#", qos: 1}]
      folder: "/{topic}"
      publish: {topic: "back{folder}", qos: 1}
      reconnect: {min: 50ms, max: 200ms}`;
  const relay = await Relay.start(config(
    endpoint('secure', `{ca: "${pki('ca.pem')}", cert: "${pki('client.pem')}", key: "${pki('client.key')}"}`) +
    endpoint('nocert', `{ca: "${pki('ca.pem')}"}`) +
    endpoint('wrongca', `{ca: "${pki('other-ca.pem')}", cert: "${pki('client.pem')}", key: "${pki('client.key')}"}`),
    '  secure: [secure]'));
  const sub = broker.subscribe(['-t', 'back/#', '-t', 'probe/tls'], tls);
  try {
    await connected(relay, 'secure');
    await waitUntil(() => {
      broker.pub(['-t', 'probe/tls', '-m', 'probe-1'], tls);
      return sub.lines.some((l) => l.includes('probe/tls'));
    }, 10000, () => sub.err);
    broker.pub(['-q', '1', '-t', 'dev/pi-1/temp', '-m', '19'], tls);
    await waitUntil(() => sub.lines.includes('0 back/dev/pi-1/temp 19'), 10000, () => JSON.stringify(sub.lines) + relay.stderr);
    // Each attempt of nocert either reads the broker's alert or finds the connection closed first.
    await waitUntil(async () => /nocert.*certificate required/.test(await health(relay)), 10000, () => relay.stderr);
    const text = await health(relay);
    const problems = Object.fromEntries(JSON.parse(text).problems.map((p) => [p.endpoint, p.problem]));
    assert.equal(problems.secure, undefined, text);
    assert.match(problems.wrongca ?? '', /TLS: the broker's certificate: self-signed certificate in certificate chain/, text);
    assert.match(problems.nocert ?? '', /TLS: the broker sent the alert: certificate required/, text);
  } finally {
    await sub.stop();
    await relay.stop();
    await broker.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  }
});

test('while the broker is away: the queue is bounded, health says why, and the queue is published once it is back', async () => {
  const port = await freePort();
  const relay = await Relay.start(config(`
    - name: out
      id: endpoint-mqtt
      url: mqtt://127.0.0.1:${port}
      marshalling: raw
      queue-size: 3
      publish: {topic: "late{folder}", qos: 1}
      reconnect: {min: 50ms, max: 100ms}`, '  emit: [out]'));
  let broker;
  try {
    await waitUntil(async () => /disconnected from mqtt:\/\/127\.0\.0\.1:\d+ since .*: Connection refused/.test(await health(relay)),
      10000, () => relay.stderr);
    for (let i = 1; i <= 5; i++) await emit(relay, `/m/${i}`, `m${i}`);
    assert.equal(await relay.metric('araldo_mqtt_dropped_total', { endpoint: 'out', reason: 'queue_full' }), 2);
    assert.equal(await relay.metric('araldo_endpoint_queue_depth', { endpoint: 'out' }), 3);
    broker = await Mosquitto.start('', { port });
    // QoS 1: published_total counts what the broker acknowledged.
    await waitUntil(async () => (await relay.metric('araldo_mqtt_published_total', { endpoint: 'out' })) === 3, 10000,
      () => relay.stderr);
    assert.equal(await relay.metric('araldo_endpoint_queue_depth', { endpoint: 'out' }), 0);
  } finally {
    await relay.stop();
    if (broker) await broker.stop();
  }
});

test('--check stops at the option that is wrong, with its line and column', async () => {
  const { spawnSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'araldo-mqtt-check-'));
  const cases = [
    ['url: http://127.0.0.1:1883\n      publish: {topic: a}', /url: unknown scheme 'http'/],
    ['url: mqtt://127.0.0.1:99999\n      publish: {topic: a}', /url: port '99999' is out of range/],
    ['subscribe: [{topic: "a/#/b"}]', /topic: 'a\/#\/b' is not an MQTT topic filter/],
    ['subscribe: [{topic: a}, {topic: a}]', /'a' is subscribed twice/],
    ['publish: {topic: "a/+"}', /topic: 'a\/\+' is not a topic MQTT publishes to/],
    ['publish: {topic: "a{folder"}', /is not closed/],
    ['publish: {qos: 1}', /publish: needs a topic/],
    ['publish: {topic: a, qos: 2}', /qos/],
    ['clean-start: false\n      publish: {topic: a}', /clean-start: a session the broker keeps needs a client-id/],
    ['protocol: "3.1.1"\n      session-expiry: 1h\n      client-id: x\n      publish: {topic: a}', /session-expiry: is MQTT 5/],
    ['folder: "/{topic}"\n      publish: {topic: a}', /folder: is for inbound messages/],
    ['subscribe: [{topic: a}]\n      folder: "x{topic}"', /no topic can make this a folder/],
    ['tls: {ca: ca.pem}\n      publish: {topic: a}', /tls: is only used with an mqtts:\/\/ URL/],
    ['client-id: x', /endpoint-mqtt needs subscribe or publish/],
    // Each filter holds one of the 65535 packet ids while it waits for its SUBACK.
    [`subscribe: [${Array.from({ length: 10001 }, (_, i) => `{topic: t${i}}`).join(', ')}]`,
      /subscribe: more than 10000 topic filters/],
  ];
  try {
    for (const [options, expected] of cases) {
      const file = join(dir, 'araldo.yaml');
      writeFileSync(file, `plugins:
  araldo.endpoints.endpoint:
    - name: devices
      id: endpoint-mqtt
      ${options}
routes: {}
`);
      const r = spawnSync(process.env.ARALDO_BINARY, ['--check', '-c', file], { encoding: 'utf8' });
      assert.equal(r.status, 2, `${options}: ${r.stderr}`);
      assert.match(r.stderr, expected, options);
      assert.match(r.stderr, /araldo\.yaml:\d+:\d+: /, options);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
