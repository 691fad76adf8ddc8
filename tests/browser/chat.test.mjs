// The demo page in headless Chromium (Debian's, driven by playwright-core),
// served by the real binary running the default araldo.yaml: two tabs chat,
// and a JSON line typed into araldo's stdin shows up as a notification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay } from '../support/araldo.mjs';
import { launch, noBrowser } from './chromium.mjs';

test('two tabs of the demo page chat with each other; stdin lines arrive as notifications', { skip: noBrowser }, async () => {
  const relay = await Relay.startDefault({ stdin: 'pipe' });
  const browser = await launch();
  try {
    const url = `http://127.0.0.1:${relay.port}/?name=`;
    const [one, two] = [await browser.context.newPage(), await browser.context.newPage()];
    await one.goto(url + 'alice');
    await two.goto(url + 'bob');
    for (const page of [one, two]) await page.locator('#status', { hasText: 'connected' }).waitFor({ timeout: 10000 });

    await one.fill('#text', 'hello from tab one');
    await one.press('#text', 'Enter');
    await two.locator('#chat li', { hasText: 'hello from tab one' }).waitFor({ timeout: 10000 });
    assert.match(await two.locator('#chat li').last().innerText(), /alice\s*hello from tab one/);

    await two.fill('#text', 'and back from tab two <b>not bold</b>');
    await two.click('button[type=submit]');
    await one.locator('#chat li', { hasText: 'and back from tab two <b>not bold</b>' }).waitFor({ timeout: 10000 });
    assert.equal(await one.locator('#chat b').count(), 0, 'chat text is never parsed as HTML');
    // Each tab shows its own message once: the relay does not echo it back.
    assert.equal(await one.locator('#chat li', { hasText: 'hello from tab one' }).count(), 1);

    // The default config also writes every chat message to stdout...
    assert.match(relay.stdout, /"type":"chat".*hello from tab one/);
    // ...and pushes what is typed on stdin to every browser.
    relay.proc.stdin.write('{"type":"notice","parameters":{"text":"deploy at noon"}}\n');
    for (const page of [one, two]) await page.locator('#notifications li', { hasText: 'deploy at noon' }).waitFor({ timeout: 10000 });
  } finally {
    await browser.close();
    await relay.stop();
  }
});
