// Folders from the browser side: web/araldo.js (under node, npm `ws` as its
// WebSocket) resuming by itself after every reconnect, and the folders demo
// page in headless Chromium on the default araldo.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { Relay, waitUntil } from '../support/araldo.mjs';
import { launch, noBrowser } from './chromium.mjs';

const require = createRequire(import.meta.url);
const Araldo = require('../../web/araldo.js');

const config = `global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit, marshalling: json}
    - {name: hub, id: endpoint-websocket, path: /hub, marshalling: json, folders: true, history: {size: 500}}
routes:
  emit: [hub]
`;

test('araldo.js: dropped three times while messages flow, it misses none and sees none twice', async () => {
  const relay = await Relay.start(config);
  const client = Araldo.connect(relay.url('/hub'), { WebSocket, minDelay: 50, maxDelay: 200 });
  const heard = [];
  const subscribed = [];
  client.addEventListener('message', (e) => heard.push(e.detail.json));
  client.addEventListener('subscribed', (e) => subscribed.push(e.detail));
  try {
    client.subscribe('/line', { includeChildren: true });
    await waitUntil(() => subscribed.length === 1);
    const post = (i) => fetch(`http://127.0.0.1:${relay.port}/emit?folder=/line/${i % 3}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'n', parameters: { i } }),
    }).then((r) => assert.equal(r.status, 202));
    for (let i = 0; i < 300; i++) {
      await post(i);
      // Cut the connection under it; the client reconnects after its backoff while posts go on.
      if (i === 50 || i === 150 || i === 250) client.socket.terminate();
    }
    await waitUntil(() => heard.length >= 300, 10000, () => `300 messages, have ${heard.length}`);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(heard.map((m) => m.parameters.i), Array.from({ length: 300 }, (_, i) => i));
    // It did resume each time (not just reconnect and catch live messages).
    assert.ok(subscribed.length >= 4, `subscribed ${subscribed.length} times`);
    assert.ok(subscribed.slice(1).every((s) => s.recovered === true), JSON.stringify(subscribed));
    assert.ok(await relay.metric('araldo_ws_resumes_total', { endpoint: 'hub', recovered: 'true' }) >= 3);
  } finally {
    client.close();
    await relay.stop();
  }
});

test('the folders demo page: folders, children, going offline and coming back', { skip: noBrowser }, async () => {
  const relay = await Relay.startDefault({ stdin: 'pipe' });
  const browser = await launch();
  try {
    const url = `http://127.0.0.1:${relay.port}/folders.html`;
    const [one, two] = [await browser.context.newPage(), await browser.context.newPage()];
    for (const page of [one, two]) {
      await page.goto(url);
      await page.locator('#status', { hasText: 'connected' }).waitFor({ timeout: 10000 });
      await page.locator('#who', { hasText: 'client' }).waitFor({ timeout: 10000 });
    }
    // Tab one hears /demo and below (the page's default); tab two only /demo/kitchen.
    await one.click('#subscribe button');
    await two.fill('#sub-folder', '/demo/kitchen');
    await two.uncheck('#sub-children');
    await two.click('#subscribe button');
    await one.locator('#subscriptions li', { hasText: '/demo' }).waitFor();

    await two.fill('#pub-folder', '/demo/garden');
    await two.fill('#pub-text', 'tomatoes are red');
    await two.click('#publish button');
    await one.locator('#messages li', { hasText: 'tomatoes are red' }).waitFor({ timeout: 10000 });
    assert.match(await one.locator('#messages li', { hasText: 'tomatoes' }).innerText(), /\/demo\/garden\s*#1\s*note/);

    relay.proc.stdin.write('{"type":"alert","folder":"/demo/kitchen","parameters":{"text":"smoke <b>alarm</b>"}}\n');
    for (const page of [one, two]) await page.locator('#messages li', { hasText: 'smoke <b>alarm</b>' }).waitFor({ timeout: 10000 });
    assert.equal(await one.locator('#messages b').count(), 0, 'message text is never parsed as HTML');
    // /demo/garden is not /demo/kitchen: tab two never showed the tomatoes.
    assert.equal(await two.locator('#messages li', { hasText: 'tomatoes' }).count(), 0);

    // Tab one goes offline; two messages while it is away; it comes back and gets both, once.
    await one.click('#offline');
    await one.locator('#status', { hasText: 'offline' }).waitFor();
    for (const t of ['while away one', 'while away two']) {
      relay.proc.stdin.write(JSON.stringify({ type: 'note', folder: '/demo/shed', parameters: { text: t } }) + '\n');
    }
    await waitUntil(() => (relay.stdout.match(/while away two/g) ?? []).length === 1);
    await one.click('#online');
    await one.locator('#messages li', { hasText: 'resumed, nothing missed' }).waitFor({ timeout: 10000 });
    await one.locator('#messages li', { hasText: 'while away two' }).waitFor({ timeout: 10000 });
    const texts = await one.locator('#messages li').allInnerTexts();
    const away = texts.filter((t) => t.includes('while away'));
    assert.equal(away.length, 2, texts.join('\n'));
    assert.ok(away[0].includes('one') && away[1].includes('two'));
    assert.equal(texts.filter((t) => t.includes('tomatoes')).length, 1, 'nothing heard before is sent again');
  } finally {
    await browser.close();
    await relay.stop();
  }
});
