// The demo chat over TLS in headless Chromium: the default araldo.yaml with
// its plain listener swapped for a TLS one (certificates from make-test-pki),
// the page loaded over https and connected to wss on the same port. Chromium
// trusts exactly the relay's key (an SPKI pin), not every certificate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Relay, makeTestPki } from '../support/araldo.mjs';
import { launch, noBrowser } from './chromium.mjs';

let pkiDir;
let pki;
before(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'araldo-wss-browser-'));
  pki = makeTestPki(pkiDir);
});
after(() => rmSync(pkiDir, { recursive: true, force: true }));

// base64 of the SHA-256 of the server key's SubjectPublicKeyInfo: what
// --ignore-certificate-errors-spki-list pins.
function spkiPin(cert) {
  return execSync(`openssl x509 -in '${cert}' -pubkey -noout | openssl pkey -pubin -outform der | `
    + 'openssl dgst -sha256 -binary | base64', { encoding: 'utf8' }).trim();
}

test('two tabs of the demo page chat over wss', { skip: noBrowser }, async () => {
  const plain = readFileSync(new URL('../../araldo.yaml', import.meta.url), 'utf8');
  const config = plain.replace(/ {2}server-port: .*\n {2}bind: .*\n/,
    `  listeners:\n    - {name: public, port: 0, tls: {cert: "${pki('server.pem')}", key: "${pki('server.key')}"}}\n`);
  assert.notEqual(config, plain, 'the default config still has server-port and bind');
  const relay = await Relay.start(config, { stdin: 'pipe' });
  const browser = await launch({ args: [`--ignore-certificate-errors-spki-list=${spkiPin(pki('server.pem'))}`] });
  try {
    const url = `https://localhost:${relay.ports.public}/?name=`;
    const [one, two] = [await browser.context.newPage(), await browser.context.newPage()];
    await one.goto(url + 'alice');
    await two.goto(url + 'bob');
    for (const page of [one, two]) await page.locator('#status', { hasText: 'connected' }).waitFor({ timeout: 10000 });
    assert.equal(await one.evaluate(() => location.protocol), 'https:');

    await one.fill('#text', 'hello over wss');
    await one.press('#text', 'Enter');
    await two.locator('#chat li', { hasText: 'hello over wss' }).waitFor({ timeout: 10000 });
    assert.match(relay.stdout, /"type":"chat".*hello over wss/);
    relay.proc.stdin.write('{"type":"notice","parameters":{"text":"tls notice"}}\n');
    for (const page of [one, two]) await page.locator('#notifications li', { hasText: 'tls notice' }).waitFor({ timeout: 10000 });
  } finally {
    await browser.close();
    await relay.stop();
  }
});
