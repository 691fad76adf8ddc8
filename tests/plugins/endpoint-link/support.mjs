// Two real relays joined by endpoint-link, for the link tests: a hub with a
// TLS listener (`public`, the link) and a plain one (`local`: emit, admin,
// metrics), and clients dialling it with certificates from
// tests/support/make-test-pki.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Relay, makeTestPki, waitUntil } from '../../support/araldo.mjs';

export const token = 'link-test';

// Where the build puts examples/plugin-responder (tests/examples/CMakeLists.txt).
export const testPlugins = join(dirname(process.env.ARALDO_BINARY ?? '.'), 'example-plugins');

export function testPki() {
  const dir = mkdtempSync(join(tmpdir(), 'araldo-link-pki-'));
  const pki = makeTestPki(dir);
  pki.remove = () => rmSync(dir, { recursive: true, force: true });
  pki.read = (name) => readFileSync(pki(name));
  return pki;
}

// `link` and `endpoints` are extra YAML: options of the link endpoint, more endpoint lines.
export function hubConfig(pki, { port = 0, link = '', endpoints = '', routes = '', linkTo = '[seen]' } = {}) {
  return `global:
  admin-token: ${token}
  plugin-dirs: ["${testPlugins}"]
  listeners:
    - name: public
      port: ${port}
      bind: 127.0.0.1
      tls: {cert: "${pki('server.pem')}", key: "${pki('server.key')}", ca: "${pki('ca.pem')}", client-certs: optional}
    - name: local
      port: 0
      bind: 127.0.0.1
  core-listeners: [local]
plugins:
  araldo.marshalling:
    - {name: raw, id: marshal-raw}
  araldo.endpoints.endpoint:
    - {name: link, id: endpoint-link, accept: /link, listeners: [public], marshalling: raw, heartbeat: 200ms, peers: {client-a: files}${link}}
    - {name: emit, id: endpoint-http, path: /emit, listeners: [local], marshalling: raw}
    - {name: seen, id: endpoint-mock, listeners: [local]}
${endpoints}
routes:
  emit: [link]
  link: ${linkTo}
${routes}
`;
}

export function clientConfig(pki, hubPort, { cert = 'client', link = '', endpoints = '', routes = '', linkTo = '[seen]' } = {}) {
  return `global:
  admin-token: ${token}
  plugin-dirs: ["${testPlugins}"]
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: raw, id: marshal-raw}
  araldo.endpoints.endpoint:
    - name: link
      id: endpoint-link
      connect: wss://127.0.0.1:${hubPort}/link
      tls: {ca: "${pki('ca.pem')}", cert: "${pki(`${cert}.pem`)}", key: "${pki(`${cert}.key`)}"}
      marshalling: raw
      heartbeat: 200ms
      reconnect: {min: 50ms, max: 500ms}
${link}
    - {name: emit, id: endpoint-http, path: /emit, marshalling: raw}
    - {name: seen, id: endpoint-mock}
${endpoints}
routes:
  emit: [link]
  link: ${linkTo}
${routes}
`;
}

export async function startHub(pki, options) {
  const hub = await Relay.start(hubConfig(pki, options));
  hub.linkPort = hub.ports.public;
  hub.port = hub.ports.local;
  hub.metricsPort = hub.ports.local;
  return hub;
}

export const startClient = (pki, hubPort, options) => Relay.start(clientConfig(pki, hubPort, options));

// A plain HTTP request to a relay's local port; resolves {status, body}.
export function request(relay, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: relay.port, method, path, agent: false,
      headers: { connection: 'close', 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const admin = async (relay, path) => {
  const r = await request(relay, 'GET', path, undefined, { authorization: `Bearer ${token}` });
  return { status: r.status, json: JSON.parse(r.body.toString()) };
};

export const received = async (relay, name = 'seen') =>
  (await admin(relay, `/_admin/endpoints/${name}/received`)).json;

export const linkUp = (relay, peer) => relay.metric('araldo_link_up', { endpoint: 'link', peer });

export async function waitLinked(hub, client, peer = 'files') {
  await waitUntil(async () => (await linkUp(hub, peer)) === 1 && (await linkUp(client, '127.0.0.1')) === 1,
    15000, () => `link up; hub:\n${hub.stderr.slice(-3000)}\nclient:\n${client.stderr.slice(-3000)}`);
}

export async function health(relay) {
  const r = await request(relay, 'GET', '/_health/?full');
  return r.body.toString();
}
