// Limits and invalid input through the real binary: slow consumers, oversized
// frames, invalid UTF-8, payloads the marshaller rejects, protocol violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, connect, frame, waitUntil } from '../../support/araldo.mjs';

const config = (extra = '', marshalling = 'json') => `global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
    - {name: raw, id: marshal-raw}
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-websocket, path: /chat, marshalling: ${marshalling}${extra}}
routes:
  chat: [chat]
`;

const open = async (relay, n) => {
  const clients = Array.from({ length: n }, () => connect(relay.url('/chat')));
  await Promise.all(clients.map((c) => c.opened));
  return clients;
};

// Sends 16 messages of 16 KiB at a time (half the send queue), waiting for the reading clients to
// have them all, until `done()`; the kernel's socket buffers of a client that
// does not read fill first, then araldo's send queue.
async function flood(sender, readers, done, maxBatches = 400) {
  const body = 'x'.repeat(16 * 1024);
  let n = 0;
  for (let batch = 0; batch < maxBatches && !(await done()); batch++) {
    for (let i = 0; i < 16; i++, n++) sender.send(JSON.stringify({ n, body }));
    await waitUntil(() => readers.every((r) => r.received.length >= n), 20000);
  }
  return n;
}

test('a client that never reads is closed with 1008 "slow consumer"; the others receive everything', async () => {
  const relay = await Relay.start(config(', send-queue-bytes: 512KiB'));
  try {
    const [sender, stalled, ...readers] = await open(relay, 5);
    stalled._socket.pause();  // stops reading: its TCP window closes
    const slow = () => relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'slow_consumer' });
    let sent = await flood(sender, readers, async () => (await slow()) > 0);
    assert.equal(await slow(), 1, 'the stalled client was disconnected');
    stalled._socket.resume();
    const closed = await stalled.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'slow consumer');
    // The others keep receiving everything, in order.
    for (let i = 0; i < 100; i++, sent++) sender.send(JSON.stringify({ n: sent }));
    await waitUntil(() => readers.every((r) => r.received.length >= sent), 20000);
    for (const r of readers) assert.deepEqual(r.received.map((m) => JSON.parse(m.data).n), [...Array(sent).keys()]);
    assert.ok((await relay.metric('araldo_ws_drops_total', { endpoint: 'chat', reason: 'slow_consumer' })) >= 1);
  } finally {
    await relay.stop();
  }
});

test('with slow-consumer: drop-oldest a stalled client loses old messages, keeps the newest and stays connected', async () => {
  const relay = await Relay.start(config(', send-queue-bytes: 512KiB, slow-consumer: drop-oldest'));
  try {
    const [sender, stalled, reader] = await open(relay, 3);
    stalled._socket.pause();
    const drops = () => relay.metric('araldo_ws_drops_total', { endpoint: 'chat', reason: 'slow_consumer' });
    const sent = await flood(sender, [reader], async () => (await drops()) > 100);
    stalled._socket.resume();
    await waitUntil(() => stalled.received.length > 0 && JSON.parse(stalled.received.at(-1).data).n === sent - 1, 20000);
    const got = stalled.received.map((m) => JSON.parse(m.data).n);
    assert.ok(got.length < sent, 'some messages were dropped');
    assert.ok(got.every((n, i) => i === 0 || n > got[i - 1]), 'what arrives is in order');
    assert.equal(stalled.readyState, stalled.OPEN);
    assert.equal(await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'slow_consumer' }), 0);
  } finally {
    await relay.stop();
  }
});

test('a client that stops reading, then resumes, gets every message whole and in order', async () => {
  // Its socket fills mid-frame: araldo must go on from the exact byte a write stopped at.
  const relay = await Relay.start(config(', send-queue-bytes: 64MiB'));
  try {
    const [sender, paused, reader] = await open(relay, 3);
    paused._socket.pause();
    const count = 400;  // 20 MB: more than the kernel buffers of a loopback connection hold
    const body = (n) => String(n % 10).repeat(50 * 1024 + n);  // sizes that never align with a socket buffer
    for (let n = 0; n < count; n++) sender.send(JSON.stringify({ n, body: body(n) }));
    await waitUntil(() => reader.received.length >= count, 20000);
    assert.ok((await relay.metric('araldo_ws_queued_bytes', { endpoint: 'chat' })) > 0, 'frames wait in araldo for the paused client');
    paused._socket.resume();
    await waitUntil(() => paused.received.length >= count, 20000);
    const got = paused.received.map((m) => JSON.parse(m.data));
    assert.deepEqual(got.map((m) => m.n), [...Array(count).keys()]);
    assert.ok(got.every((m) => m.body === body(m.n)), 'every payload intact');
    assert.equal(await relay.metric('araldo_ws_drops_total', { endpoint: 'chat', reason: 'slow_consumer' }), 0);
  } finally {
    await relay.stop();
  }
});

test('an oversized frame is closed with 1009 before it is buffered', async () => {
  const relay = await Relay.start(config(', max-message-size: 1MiB', 'raw'));
  try {
    const [c, other] = await open(relay, 2);
    const before = relay.peakRss();
    const announced = 64 * 1024 * 1024;
    c._socket.write(frame(0x2, Buffer.alloc(0), { length: announced }).subarray(0, 14));  // header only
    const chunk = Buffer.alloc(1024 * 1024, 0x61);  // masked garbage is fine: it is never read as a message
    for (let i = 0; i < 32 && !c._socket.destroyed; i++) c._socket.write(chunk);
    const closed = await c.closed;
    assert.equal(closed.code, 1009);
    const growth = relay.peakRss() - before;
    assert.ok(growth < 8 * 1024 * 1024, `peak memory grew by ${growth} bytes for a ${announced}-byte frame`);
    // A message under the limit still goes through.
    const fine = connect(relay.url('/chat'));
    await fine.opened;
    fine.send(Buffer.alloc(1024 * 1024 - 16, 1));
    await waitUntil(() => other.received.length === 1);
    assert.equal(other.received[0].data.length, 1024 * 1024 - 16);
    assert.equal(await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'too_big' }), 1);
  } finally {
    await relay.stop();
  }
});

test('invalid UTF-8 in a text frame is closed with 1007 and never routed', async () => {
  const relay = await Relay.start(config('', 'raw'));
  try {
    const [c, other] = await open(relay, 2);
    c._socket.write(frame(0x1, Buffer.from([0x68, 0x69, 0xff])));
    assert.equal((await c.closed).code, 1007);
    const [d] = await open(relay, 1);
    // Split inside a character across two fragments, then a bad continuation.
    d._socket.write(Buffer.concat([frame(0x1, Buffer.from([0x61, 0xc3]), { fin: false }), frame(0x0, Buffer.from([0x28]))]));
    assert.equal((await d.closed).code, 1007);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(other.received.length, 0);
  } finally {
    await relay.stop();
  }
});

test('a payload the marshaller rejects is closed with 1007 and its reason', async () => {
  const relay = await Relay.start(config());
  try {
    const [c, other] = await open(relay, 2);
    c.send('{"type": "chat", oops}');
    const closed = await c.closed;
    assert.equal(closed.code, 1007);
    assert.match(closed.reason, /^invalid JSON at offset \d+/);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(other.received.length, 0);
    assert.equal(await relay.metric('araldo_messages_invalid_total', { endpoint: 'chat' }), 1);
  } finally {
    await relay.stop();
  }
});

test('with on-invalid: error-frame the sender gets an error message and stays connected', async () => {
  const relay = await Relay.start(config(', on-invalid: error-frame'));
  try {
    const [c, other] = await open(relay, 2);
    c.send('not json');
    await waitUntil(() => c.received.length === 1);
    const error = JSON.parse(c.received[0].data);
    assert.equal(error.type, 'error');
    assert.match(error.error, /invalid JSON/);
    c.send('{"type":"chat"}');
    await waitUntil(() => other.received.length === 1);
    assert.equal(other.received[0].data.toString(), '{"type":"chat"}');
    assert.equal(c.readyState, c.OPEN);
  } finally {
    await relay.stop();
  }
});

test('protocol violations are closed with 1002', async () => {
  const relay = await Relay.start(config('', 'raw'));
  try {
    const violations = [
      frame(0x1, 'unmasked', { mask: false }),
      frame(0x1, 'rsv', { rsv: 4 }),
      frame(0x9, 'fragmented ping', { fin: false }),
      frame(0x9, 'p'.repeat(126)),
      frame(0x0, 'orphan continuation'),
      frame(0x3, 'reserved opcode'),
    ];
    for (const bytes of violations) {
      const [c] = await open(relay, 1);
      c._socket.write(bytes);
      assert.equal((await c.closed).code, 1002, `violation ${bytes.subarray(0, 2).toString('hex')}`);
    }
    assert.equal(await relay.metric('araldo_ws_disconnects_total', { endpoint: 'chat', reason: 'protocol_error' }), violations.length);
  } finally {
    await relay.stop();
  }
});
