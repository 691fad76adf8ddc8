// web/araldo.js in headless Chromium against the real binary: a refusal at
// the upgrade (which a browser sees only as a close 1006 before open) ends the
// retries after a bounded number of attempts and is shown on the page; a relay
// that goes away (1001) and comes back is reconnected to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, freePort } from '../support/araldo.mjs';
import { launch, noBrowser } from './chromium.mjs';

const config = (port = 0) => `global:
  server-port: ${port}
  shutdown-timeout: 5s
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: chat, id: endpoint-websocket, path: /chat, marshalling: json, auth: {tokens: [right]}}
routes:
  chat: [chat]
`;

// The client defined by the demo page: nothing scheduled, no socket.
const idle = (page) => page.evaluate(() => client.timer === null && client.socket === null);

test('a wrong token: the page shows the refusal and the relay sees a bounded number of upgrades', { skip: noBrowser }, async () => {
  const relay = await Relay.start(config());
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${relay.port}/?token=wrong`);
    // Five attempts (maxFailures) with backoff ceilings 0.5, 1, 2 and 4 s in between.
    await page.locator('#status.refused').waitFor({ timeout: 30000 });
    assert.match(await page.locator('#status').innerText(), /refused \(1006/);
    await page.locator('#notifications li', { hasText: 'refused the connection' }).waitFor();
    assert.equal(await idle(page), true);
    assert.equal(await relay.metric('araldo_ws_upgrades_refused_total', { endpoint: 'chat', reason: 'auth' }), 5);

    // The same page with the right token connects.
    await page.goto(`http://127.0.0.1:${relay.port}/?token=right`);
    await page.locator('#status.open').waitFor({ timeout: 10000 });
    assert.equal(await relay.metric('araldo_ws_upgrades_refused_total', { endpoint: 'chat', reason: 'auth' }), 5);
  } finally {
    await browser.close();
    await relay.stop();
  }
});

test('a relay that goes away (1001) and comes back on the same port is reconnected to', { skip: noBrowser }, async () => {
  const port = await freePort();
  let relay = await Relay.start(config(port));
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${port}/?token=right`);
    await page.locator('#status.open').waitFor({ timeout: 10000 });
    const { code } = await relay.stop();  // SIGTERM: every client gets 1001
    assert.equal(code, 0);
    await page.locator('#notifications li', { hasText: 'connection closed: 1001 going away' }).waitFor({ timeout: 10000 });
    // Attempts while the relay is down fail before opening, like a refusal; having
    // been connected once, the client keeps trying.
    relay = await Relay.start(config(port));
    await page.locator('#status.open').waitFor({ timeout: 30000 });
    assert.equal(await relay.metric('araldo_ws_connections_total', { endpoint: 'chat' }), 1);
    assert.equal(await page.locator('#notifications li', { hasText: 'refused' }).count(), 0);
  } finally {
    await browser.close();
    await relay.stop();
  }
});
