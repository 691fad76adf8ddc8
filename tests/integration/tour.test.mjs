// examples/tour, run as its README tells a reader to: redis-server, the
// sample receiver and the real araldo on the tour's own araldo.yaml; then the
// README's curl and redis-cli commands, taken from the README itself so that
// the walkthrough cannot drift from what works. A WebSocket client (the
// browser's part), a Redis subscriber and the receiver must each get the
// event, the receiver having verified its signature.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Relay, connect, waitUntil } from '../support/araldo.mjs';
import { RedisServer, RespClient } from '../support/redis.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tour = `${root}examples/tour/`;
const run = promisify(execFile);

// The README's commands a reader runs against the running tour: each curl,
// and each redis-cli publish, in order ("\"-continued lines joined).
function walkthroughCommands() {
  const text = readFileSync(`${tour}README.md`, 'utf8');
  const commands = [];
  for (const [, block] of text.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    for (const line of block.replace(/\\\n\s*/g, '').split('\n')) {
      if (line.startsWith('curl ') || /^redis-cli .* publish /.test(line)) commands.push(line);
    }
  }
  return commands;
}

// receiver.mjs as the reader starts it, on a free port (RECEIVER_PORT=0);
// the secret is left to its default, which must be the tour config's.
async function startReceiver() {
  const proc = spawn(process.execPath, [`${tour}receiver.mjs`], {
    env: { ...process.env, RECEIVER_PORT: '0', WEBHOOK_SECRET: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const receiver = { proc, output: '' };
  proc.stdout.on('data', (d) => { receiver.output += d; });
  proc.stderr.on('data', (d) => { receiver.output += d; });
  const reap = () => proc.kill('SIGKILL');
  process.on('exit', reap);
  receiver.exited = new Promise((resolve) => proc.on('exit', () => { process.off('exit', reap); resolve(); }));
  const listening = /receiver listening on http:\/\/127\.0\.0\.1:(\d+)\//;
  await waitUntil(() => listening.test(receiver.output) || proc.exitCode !== null, 10000,
    () => `the receiver to listen; output:\n${receiver.output}`);
  assert.match(receiver.output, listening);
  receiver.port = Number(receiver.output.match(listening)[1]);
  return receiver;
}

test('the tour README walkthrough reaches the browser, Redis and the verified webhook', async () => {
  const commands = walkthroughCommands();
  assert.ok(commands.some((c) => c.includes('/emit') && c.startsWith('curl -f')), 'the README emits an event');
  const stops = [];
  try {
    const redis = await RedisServer.start();
    stops.push(() => redis.stop());
    const receiver = await startReceiver();
    stops.push(async () => { receiver.proc.kill('SIGTERM'); await receiver.exited; });

    const config = readFileSync(`${tour}araldo.yaml`, 'utf8');
    const relay = await Relay.start(config, {
      env: { ARALDO_PORT: '0', RECEIVER_PORT: String(receiver.port), REDIS_PORT: String(redis.port) },
    });
    stops.push(() => relay.stop());

    // The browser's side, and the `redis-cli subscribe audit` of the README.
    const browser = connect(relay.url('/chat'));
    stops.push(() => browser.terminate());
    await browser.opened;
    const subscriber = await RespClient.connect(redis.port);
    stops.push(() => subscriber.close());
    await subscriber.command('SUBSCRIBE', 'audit');
    // The events endpoint must be subscribed before the README publishes to it.
    const probe = await RespClient.connect(redis.port);
    stops.push(() => probe.close());
    await waitUntil(async () => (await probe.command('PUBSUB', 'NUMSUB', 'events'))[1] === 1, 10000,
      () => 'araldo to subscribe to the channel events');

    const env = {
      ...process.env,
      ARALDO_PORT: String(relay.port), REDIS_PORT: String(redis.port), RECEIVER_PORT: String(receiver.port),
    };
    const outputs = [];
    for (const command of commands) {
      const { stdout } = await run('sh', ['-c', command], { env, cwd: root });
      outputs.push({ command, stdout });
    }

    // The emit answered 202 with the message's id; the broken one, 400 with why.
    const accepted = outputs.map((o) => o.stdout.match(/^\{"id":"([^"]+)","message":"ok"\}/)).filter(Boolean);
    assert.equal(accepted.length, 1, `one event accepted: ${JSON.stringify(outputs)}`);
    const id = accepted[0][1];
    assert.ok(outputs.some((o) => o.stdout.includes('"status":400')), 'the malformed event is refused with 400');
    assert.ok(outputs.some((o) => o.stdout.includes('"live":true')), 'the health check answers');
    assert.ok(outputs.some((o) => /^araldo_messages_in_total\{endpoint="emit"\} 1$/m.test(o.stdout)),
      `metrics count the accepted POST at emit: ${JSON.stringify(outputs)}`);

    const text = 'hello from the tour';
    const frames = () => browser.received.map((m) => m.data.toString());
    await waitUntil(() => frames().some((f) => f.includes(text)) && frames().some((f) => f.includes('deploy at noon')),
      10000, () => `the emitted event and the published notice at the browser (got ${JSON.stringify(frames())})`);
    await waitUntil(() => subscriber.pushes.some((p) => p.channel === 'audit' && p.payload.toString().includes(text)),
      10000, () => `the event on the channel audit (got ${subscriber.pushes.length} messages)`);
    await waitUntil(() => receiver.output.includes(`verified ${id} `), 10000,
      () => `the receiver to verify ${id}; its output:\n${receiver.output}`);
    assert.ok(receiver.output.split('\n').some((l) => l.startsWith(`verified ${id} `) && l.includes(text)));
    assert.doesNotMatch(receiver.output, /^rejected /m);
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
});
