// Two araldo nodes with the same config against one Redis, real WebSocket
// clients (npm `ws`) on both: a message from a browser on one node reaches every
// browser on both nodes exactly once, is published to Redis once, and never
// comes back into its own node's route (endpoint-redis echo suppression).
// The same scenario as tests/plugins/endpoint-redis/redis_cluster_test.cpp, with browsers
// instead of endpoint-file; the pattern is documented in docs/scaling.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, connect, waitUntil } from '../../support/araldo.mjs';
import { RedisServer, RespClient } from '../../support/redis.mjs';

const CHANNEL = 'araldo.chat';

const config = (redisPort) => `global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-websocket, path: /chat, marshalling: json, echo: false}
    - name: bus
      id: endpoint-redis
      url: redis://127.0.0.1:${redisPort}
      subscribe: [${CHANNEL}]
      publish: ${CHANNEL}
      marshalling: json
routes:
  chat: [chat, bus]   # local browsers, and the other node through Redis
  bus: [chat]         # from the other node: local browsers only, never back to Redis
`;

// Healthy means both Redis connections are up and the subscriber is subscribed.
async function healthy(relay) {
  try {
    return (await fetch(`http://127.0.0.1:${relay.port}/_health/?full`)).status === 200;
  } catch {
    return false;
  }
}

const payload = (from, n) => JSON.stringify({ type: 'chat', parameters: { from, n, text: `${from} says ${n} \u00e9\u{1F600}` } });
const texts = (client) => client.received.map((m) => m.data.toString());
const from = (list, node) => list.filter((t) => JSON.parse(t).parameters?.from === node);

test('two nodes, one Redis, 5 browsers each: every message reaches every other browser exactly once, never re-enters its own node',
  { timeout: 50000 }, async () => {
    const N = 1000;  // sent by one browser on A
    const M = 600;   // sent by one browser on B
    const CLIENTS = 5;
    const started = [];
    const stopAll = async () => {
      const results = await Promise.allSettled(started.reverse().map((s) => s()));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    try {
      const redis = await RedisServer.start();
      started.push(() => redis.stop());
      const a = await Relay.start(config(redis.port));
      started.push(() => a.stop());
      const b = await Relay.start(config(redis.port));
      started.push(() => b.stop());
      await waitUntil(async () => (await healthy(a)) && (await healthy(b)), 15000,
        () => `both nodes healthy; A:\n${a.stderr}\nB:\n${b.stderr}`);

      const watch = await RespClient.connect(redis.port);
      started.push(() => watch.close());
      assert.deepEqual((await watch.command('SUBSCRIBE', CHANNEL)).map(String), ['subscribe', CHANNEL, '1']);
      const publisher = await RespClient.connect(redis.port);
      started.push(() => publisher.close());

      const onA = Array.from({ length: CLIENTS }, () => connect(a.url('/chat')));
      const onB = Array.from({ length: CLIENTS }, () => connect(b.url('/chat')));
      started.push(async () => { for (const c of [...onA, ...onB]) c.terminate(); });
      await Promise.all([...onA, ...onB].map((c) => c.opened));
      assert.equal(await a.metric('araldo_ws_clients', { endpoint: 'chat' }), CLIENTS);
      assert.equal(await b.metric('araldo_ws_clients', { endpoint: 'chat' }), CLIENTS);

      const sentA = Array.from({ length: N }, (_, i) => payload('A', i));
      const sentB = Array.from({ length: M }, (_, i) => payload('B', i));
      const [senderA] = onA;
      const [senderB] = onB;
      // Interleaved, so both nodes publish while receiving from the other.
      for (let i = 0; i < Math.max(N, M); i++) {
        if (i < N) senderA.send(sentA[i]);
        if (i < M) senderB.send(sentB[i]);
      }

      // Exactly one PUBLISH per browser message.
      await waitUntil(() => watch.pushes.length >= N + M, 30000,
        () => `${N + M} publications on ${CHANNEL} (seen ${watch.pushes.length})`);
      // Redis delivers in publish order: when this marker reaches a node, every
      // earlier publication (its own echoes included) has been read by it.
      const marker = JSON.stringify({ type: 'marker', parameters: { from: 'backend' } });
      assert.equal(await publisher.command('PUBLISH', CHANNEL, marker), 3);  // A, B and watch
      const all = [...onA, ...onB];
      const expected = (c) => (c === senderA ? 0 : N) + (c === senderB ? 0 : M) + 1;
      // A browser with more than its share has duplicates: stop waiting, the checks below say which.
      await waitUntil(() => all.every((c) => c.received.at(-1)?.data.toString() === marker)
        || all.some((c) => c.received.length > expected(c)), 30000,
        () => `the marker at every browser (received: ${all.map((c) => c.received.length).join(', ')})`);

      // Every browser: each message of the other node once, in order; each of its
      // own node's once, in order, except the sender's own (echo: false); then the marker.
      const nodeOf = (c) => (onA.includes(c) ? 'A' : 'B');
      for (const c of all) {
        assert.ok(c.received.length <= expected(c),
          `a browser on ${nodeOf(c)} received ${c.received.length} messages, more than the ${expected(c)} sent to it`);
      }
      for (const [node, clients] of [['A', onA], ['B', onB]]) {
        for (const c of clients) {
          const got = texts(c);
          assert.equal(got.length, expected(c), `a browser on ${node}: number of messages`);
          assert.deepEqual(from(got, 'A'), c === senderA ? [] : sentA, `a browser on ${node}: A's messages`);
          assert.deepEqual(from(got, 'B'), c === senderB ? [] : sentB, `a browser on ${node}: B's messages`);
          assert.equal(got.at(-1), marker);
          assert.ok(c.received.every((m) => !m.isBinary));
        }
      }

      // The bus carried each message once, bytes unchanged, in order per sender, then the marker.
      assert.equal(watch.pushes.length, N + M + 1);
      assert.ok(watch.pushes.every((p) => p.channel === CHANNEL));
      const bytesFrom = (node) => watch.pushes.map((p) => p.payload).filter((p) => JSON.parse(p).parameters?.from === node);
      assert.deepEqual(bytesFrom('A'), sentA.map((t) => Buffer.from(t)));
      assert.deepEqual(bytesFrom('B'), sentB.map((t) => Buffer.from(t)));
      assert.equal(watch.pushes.at(-1).payload.toString(), marker);

      // Counters bumped on write or reply completion may trail what the browsers saw
      // by an event-loop turn: wait for the exact value, then compare.
      const expectMetric = async (relay, node, name, endpoint, value) => {
        await waitUntil(async () => (await relay.metric(name, { endpoint })) === value, 5000).catch(() => {});
        assert.equal(await relay.metric(name, { endpoint }), value, `${name}{endpoint="${endpoint}"} on ${node}`);
      };
      // Nothing came back into a node's own route: its bus ingested only what the
      // other node sent (plus the marker), and it dropped exactly its own echoes.
      await expectMetric(a, 'A', 'araldo_messages_in_total', 'bus', M + 1);
      await expectMetric(b, 'B', 'araldo_messages_in_total', 'bus', N + 1);
      await expectMetric(a, 'A', 'araldo_redis_echo_suppressed_total', 'bus', N);
      await expectMetric(b, 'B', 'araldo_redis_echo_suppressed_total', 'bus', M);
      // Each node published only its own browsers' messages: bus never routes to bus.
      await expectMetric(a, 'A', 'araldo_messages_out_total', 'bus', N);
      await expectMetric(b, 'B', 'araldo_messages_out_total', 'bus', M);
      await expectMetric(a, 'A', 'araldo_redis_published_total', 'bus', N);
      await expectMetric(b, 'B', 'araldo_redis_published_total', 'bus', M);
      await expectMetric(a, 'A', 'araldo_ws_frames_in_total', 'chat', N);
      await expectMetric(b, 'B', 'araldo_ws_frames_in_total', 'chat', M);
      // Frames written to browsers: the local sender's to the 4 others, the
      // other node's and the marker to all 5. No extra copy anywhere.
      await expectMetric(a, 'A', 'araldo_ws_frames_out_total', 'chat', (CLIENTS - 1) * N + CLIENTS * (M + 1));
      await expectMetric(b, 'B', 'araldo_ws_frames_out_total', 'chat', (CLIENTS - 1) * M + CLIENTS * (N + 1));

      // A second marker is the very next publication: nothing was republished after the first.
      const end = JSON.stringify({ type: 'end' });
      assert.equal(await publisher.command('PUBLISH', CHANNEL, end), 3);
      await waitUntil(() => watch.pushes.length >= N + M + 2);
      assert.equal(watch.pushes.length, N + M + 2);
      assert.equal(watch.pushes.at(-1).payload.toString(), end);

      for (const c of all) c.close(1000);
      await Promise.all(all.map((c) => c.closed));
    } finally {
      await stopAll();
    }
  });
