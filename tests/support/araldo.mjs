// Starts the real araldo binary on a config written to a temp dir (server-port
// 0: the port is read from the log line "listening on 127.0.0.1:PORT"), and
// stops it by pid. Shared by the WebSocket and browser tests.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';

export const binary = process.env.ARALDO_BINARY;
if (!binary) throw new Error('set ARALDO_BINARY to the araldo executable (ctest does)');

export class Relay {
  // `config` may use {DIR} for the temp dir.
  static async start(config, { env = {}, cwd, stdin = 'ignore' } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'araldo-ws-'));
    const file = join(dir, 'araldo.yaml');
    writeFileSync(file, config.replaceAll('{DIR}', dir));
    const proc = spawn(binary, ['-c', file], {
      cwd: cwd ?? dir,
      env: { ...process.env, ...env },
      stdio: [stdin, 'pipe', 'pipe'],
    });
    const relay = new Relay(proc, dir);
    // A test that dies before stop() must not leave the relay running.
    const reap = () => relay.signal('SIGKILL');
    process.on('exit', reap);
    relay.exited.then(() => process.off('exit', reap));
    // The last line of start-up: every listener has logged its own before it.
    await relay.waitForLog(/araldo listening on [^ ]*:(\d+) /, 15000);
    relay.port = Number(relay.stderr.match(/araldo listening on [^ ]*:(\d+) /)[1]);
    // With global.listeners, each logs "listener NAME listening on ADDR:PORT (...)".
    relay.ports = {};
    for (const [, name, port] of relay.stderr.matchAll(/listener (\S+) listening on [^ ]*:(\d+) /g)) {
      relay.ports[name] = Number(port);
    }
    relay.metricsPort = relay.port;
    return relay;
  }

  constructor(proc, dir) {
    this.proc = proc;
    this.dir = dir;
    this.stdout = '';
    this.stderr = '';
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    proc.stdout.on('data', (d) => { this.stdout += d; });
    proc.stderr.on('data', (d) => { this.stderr += d; });
  }

  // The default config (araldo.yaml at the repo's root), on a free port.
  static startDefault(options = {}) {
    const config = readFileSync(new URL('../../araldo.yaml', import.meta.url), 'utf8');
    return Relay.start(config, { ...options, env: { ARALDO_PORT: '0', ...(options.env ?? {}) } });
  }

  url(path = '/ws', query = '') {
    return `ws://127.0.0.1:${this.port}${path}${query}`;
  }

  waitForLog(pattern, timeout = 10000) {
    return waitUntil(() => pattern.test(this.stderr), timeout, () => `log line ${pattern}; stderr:\n${this.stderr}`);
  }

  // araldo's resident memory in bytes (VmRSS from /proc).
  rss() {
    const status = readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
    return Number(status.match(/VmRSS:\s+(\d+) kB/)[1]) * 1024;
  }

  // araldo's peak resident memory so far (VmHWM).
  peakRss() {
    const status = readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
    return Number(status.match(/VmHWM:\s+(\d+) kB/)[1]) * 1024;
  }

  // araldo's open file descriptors (entries of /proc/<pid>/fd).
  fdCount() {
    return readdirSync(`/proc/${this.proc.pid}/fd`).length;
  }

  // One connection per request, closed after it (fetch would keep one open in
  // its pool, which shows in araldo's descriptor count).
  metrics() {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: this.metricsPort, path: '/metrics', agent: false,
        headers: { connection: 'close' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve(body));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  }

  // The value of one metric line, e.g. metric('araldo_ws_disconnects_total', {endpoint: 'chat', reason: 'slow_consumer'}).
  async metric(name, labels = {}) {
    const text = await this.metrics();
    for (const line of text.split('\n')) {
      if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
    }
    return 0;
  }

  signal(sig) {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig);
  }

  // SIGTERM, then SIGKILL if it does not exit in time; removes the temp dir.
  async stop(timeout = 10000) {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeout);
    const result = await this.exited;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
    // Under ASan/UBSan (scripts/test) a finding must fail the test that caused it.
    if (/ERROR: (Address|Leak)Sanitizer|runtime error: /.test(this.stderr)) {
      throw new Error(`araldo reported a sanitizer error:\n${this.stderr.slice(-8000)}`);
    }
    return result;
  }
}

// A free loopback port: bind port 0, read what the kernel chose, release it.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function waitUntil(cond, timeout = 10000, what = () => 'condition') {
  const deadline = Date.now() + timeout;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// A connected `ws` client that records what it receives and how it closed.
export function connect(url, options = {}) {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  ws.received = [];
  ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data, isBinary) => ws.received.push({ data, isBinary }));
  ws.on('error', () => {});  // the close event says what happened
  ws.opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      req.destroy();  // with this listener, ws leaves the refused connection to us
    });
    ws.once('close', () => reject(new Error('closed before open')));
  });
  ws.opened.catch(() => {});
  return ws;
}

// The HTTP status of an upgrade attempt that is expected to be refused.
export async function upgradeStatus(url, options = {}) {
  const ws = connect(url, options);
  try {
    await ws.opened;
    ws.terminate();
    return 101;
  } catch (e) {
    return e.status ?? 0;
  }
}

// Sends a hand-written HTTP request and returns the status code of the answer.
export function rawStatus(port, request) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d) => {
      data += d.toString('latin1');
      const m = data.match(/^HTTP\/1\.1 (\d{3}) /);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(0));
  });
}

// A client-to-server frame built by hand (masked), for protocol violations.
export function frame(opcode, payload, { fin = true, rsv = 0, mask = true, length } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload ?? '');
  const n = length ?? data.length;
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode)];
  const maskBit = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (n < 126) head.push(maskBit | n);
  else if (n < 65536) { head.push(maskBit | 126); ext = Buffer.alloc(2); ext.writeUInt16BE(n); }
  else { head.push(maskBit | 127); ext = Buffer.alloc(8); ext.writeBigUInt64BE(BigInt(n)); }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, data]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(data.map((b, i) => b ^ key[i & 3]));
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}

// An HS256 JWT, built here with node's crypto (independent of araldo's code).
import { createHmac } from 'node:crypto';
export function jwt(claims, secret, header = { alg: 'HS256', typ: 'JWT' }) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc(header)}.${enc(claims)}`;
  if (header.alg === 'none') return `${body}.`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

// A throwaway PKI for TLS tests in `dir` (see tests/support/make-test-pki);
// returns a function from a file name ("ca.pem") to its path.
export function makeTestPki(dir) {
  execFileSync(join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'make-test-pki'), [dir]);
  return (name) => join(dir, name);
}
