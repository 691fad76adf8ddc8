// Devices on MQTT and browsers on WebSocket through one relay: the folders
// demo page in headless Chromium, a real Mosquitto, mosquitto_pub and
// mosquitto_sub as the devices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Relay, waitUntil } from '../support/araldo.mjs';
import { Mosquitto } from '../support/mosquitto.mjs';
import { launch, noBrowser } from './chromium.mjs';

const web = fileURLToPath(new URL('../../web', import.meta.url));

test('an MQTT message reaches the browser subscribed to its folder; the browser\'s reaches an MQTT subscriber',
  { skip: noBrowser }, async () => {
    const broker = await Mosquitto.start();
    const relay = await Relay.start(`global:
  server-port: 0
  static-dir: ${web}
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: hub, id: endpoint-websocket, path: /hub, marshalling: json, folders: true, history: {size: 50}}
    - name: devices
      id: endpoint-mqtt
      url: mqtt://127.0.0.1:${broker.port}
      marshalling: json
      subscribe: [{topic: "greenhouse/+/sensors/#", qos: 1}]
      folder: "/{topic}"
      publish: {topic: "araldo{folder}", qos: 1}
routes:
  devices: [hub]
  hub: [{to: devices, type: "command"}]
`);
    const browser = await launch();
    const commands = broker.subscribe(['-t', 'araldo/#', '-q', '1']);
    try {
      await waitUntil(async () => (await relay.metric('araldo_mqtt_connected', { endpoint: 'devices' })) === 1);
      const page = await browser.context.newPage();
      await page.goto(`http://127.0.0.1:${relay.port}/folders.html?path=/hub`);
      await page.locator('#status', { hasText: 'connected' }).waitFor({ timeout: 10000 });
      await page.fill('#sub-folder', '/greenhouse/pi-7');
      await page.click('#subscribe button');
      await page.locator('#subscriptions li', { hasText: '/greenhouse/pi-7' }).waitFor();
      // Subscribed before the device speaks: the answer is the page's first note.
      await waitUntil(async () => (await relay.metric('araldo_ws_subscriptions', { endpoint: 'hub' })) === 1);

      broker.pub(['-q', '1', '-t', 'greenhouse/pi-7/sensors/temp', '-m', '{"type":"reading","parameters":{"text":"21.5 C"}}']);
      broker.pub(['-q', '1', '-t', 'greenhouse/pi-8/sensors/temp', '-m', '{"type":"reading","parameters":{"text":"other device"}}']);
      await page.locator('#messages li', { hasText: '21.5 C' }).waitFor({ timeout: 10000 });
      assert.match(await page.locator('#messages li', { hasText: '21.5 C' }).innerText(),
        /\/greenhouse\/pi-7\/sensors\/temp\s*#1\s*reading/);

      await broker.ready(commands, 'araldo/probe');
      await page.fill('#pub-folder', '/greenhouse/pi-7/cmd');
      await page.fill('#pub-type', 'command');
      await page.fill('#pub-text', 'open the window');
      await page.click('#publish button');
      await waitUntil(() => commands.lines.some((l) => l.includes('araldo/greenhouse/pi-7/cmd')), 10000,
        () => `the command on araldo/greenhouse/pi-7/cmd; got ${commands.lines.join(' | ')}`);
      const line = commands.lines.find((l) => l.includes('araldo/greenhouse/pi-7/cmd'));
      const payload = JSON.parse(line.slice(line.indexOf('{')));
      assert.equal(payload.type, 'command');
      assert.equal(payload.parameters.text, 'open the window');
      assert.equal(payload.folder, '/greenhouse/pi-7/cmd');
      // pi-8 is another folder: the page never showed it.
      assert.equal(await page.locator('#messages li', { hasText: 'other device' }).count(), 0);
    } finally {
      await commands.stop();
      await browser.close();
      await relay.stop();
      await broker.stop();
    }
  });
