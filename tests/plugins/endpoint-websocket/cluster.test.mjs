// Two araldo nodes with the same config against one Redis, real WebSocket
// clients (npm `ws`) on both: a message from a browser on one node reaches every
// browser on both nodes exactly once, is published to Redis once, and never
// comes back into its own node's route (endpoint-redis echo suppression).
// The same scenario as tests/plugins/endpoint-redis/redis_cluster_test.cpp, with browsers
// instead of endpoint-file; the pattern is documented in docs/scaling.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Relay, connect, waitUntil } from '../../support/araldo.mjs';

const CHANNEL = 'araldo.chat';

// A free loopback port: bind port 0, read what the kernel chose, release it.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Incremental RESP2 reader: returns [value, next offset], or null when `buf`
// does not hold a whole value yet. Bulk strings stay Buffers (bytes as sent).
function parseResp(buf, pos = 0) {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return null;
  const kind = String.fromCharCode(buf[pos]);
  const line = buf.toString('latin1', pos + 1, eol);
  const next = eol + 2;
  switch (kind) {
    case '+': return [line, next];
    case '-': return [new Error(line), next];
    case ':': return [Number(line), next];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.subarray(next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const items = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const r = parseResp(buf, at);
        if (!r) return null;
        items.push(r[0]);
        at = r[1];
      }
      return [items, at];
    }
    default: throw new Error(`bad RESP type byte ${buf[pos]}`);
  }
}

function encodeCommand(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

// A raw RESP client on a net socket: commands answered in order; `message`
// pushes (subscribed mode) are collected in `pushes` as {channel, payload}.
class RespClient {
  static connect(port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RespClient(socket));
      });
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.pending = [];
    this.pushes = [];
    this.error = null;
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (e) => { this.error = e; });
    socket.on('close', () => {
      for (const p of this.pending.splice(0)) p.reject(this.error ?? new Error('RESP connection closed'));
    });
  }

  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    let r;
    while ((r = parseResp(this.buf))) {
      this.buf = this.buf.subarray(r[1]);
      const v = r[0];
      if (Array.isArray(v) && v.length === 3 && Buffer.isBuffer(v[0]) && v[0].toString() === 'message') {
        this.pushes.push({ channel: v[1].toString(), payload: v[2] });
      } else {
        const p = this.pending.shift();
        if (!p) throw new Error('RESP reply without a command');
        if (v instanceof Error) p.reject(v); else p.resolve(v);
      }
    }
  }

  command(...args) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  close() { this.socket.destroy(); }
}

// redis-server as our child process on a free loopback port, no persistence.
class RedisServer {
  static async start() {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'araldo-redis-'));
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new RedisServer(proc, port, dir);
    await waitUntil(() => server.exitedWith !== undefined || server.ping(), 10000,
      () => `redis-server to answer PING on ${port}; output:\n${server.output}`);
    if (server.exitedWith !== undefined) throw new Error(`redis-server exited: ${server.output}`);
    return server;
  }

  constructor(proc, port, dir) {
    this.proc = proc;
    this.port = port;
    this.dir = dir;
    this.output = '';
    this.exitedWith = undefined;
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
      this.exitedWith = { code, signal };
      resolve(this.exitedWith);
    }));
    proc.stdout.on('data', (d) => { this.output += d; });
    proc.stderr.on('data', (d) => { this.output += d; });
    const reap = () => this.signal('SIGKILL');
    process.on('exit', reap);
    this.exited.then(() => process.off('exit', reap));
  }

  // true once it answers +PONG (raw RESP on a fresh connection).
  async ping() {
    let client;
    try {
      client = await RespClient.connect(this.port);
      return (await client.command('PING')) === 'PONG';
    } catch {
      return false;
    } finally {
      client?.close();
    }
  }

  signal(sig) {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig);
  }

  async stop() {
    this.signal('SIGKILL');
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

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
