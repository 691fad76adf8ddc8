// Mosquitto for the node tests: the Debian broker (/usr/sbin/mosquitto) as a
// child process on a free loopback port with a generated config, stopped by
// pid; and its command-line clients (mosquitto_pub, mosquitto_sub) as the
// devices on the other side of araldo.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from './araldo.mjs';

export const mosquittoBinary = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export class Mosquitto {
  // `conf` is the config after the listener line; {DIR} is the broker's temp
  // dir, {PORT} its port. Without `listener` in `conf`, a plain listener on
  // 127.0.0.1 that allows anonymous clients is written first.
  static async start(conf = '', { port } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'araldo-mosquitto-'));
    const broker = new Mosquitto(dir, port ?? await freePort(), conf);
    await broker.launch();
    return broker;
  }

  constructor(dir, port, conf) {
    this.dir = dir;
    this.port = port;
    this.conf = conf;
    this.log = '';
  }

  path(name) { return join(this.dir, name); }

  async launch() {
    const body = this.conf.replaceAll('{DIR}', this.dir).replaceAll('{PORT}', String(this.port));
    const text = /^\s*listener /m.test(body) ? body : `listener ${this.port} 127.0.0.1\nallow_anonymous true\n${body}`;
    // As root, mosquitto would drop to the mosquitto user, who cannot read the test's files.
    const user = process.getuid?.() === 0 ? 'user root\n' : '';
    writeFileSync(this.path('mosquitto.conf'), `${user}${text}\nlog_dest stderr\nlog_type all\n`);
    this.proc = spawn(mosquittoBinary, ['-c', this.path('mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => { this.log += d; });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    const reap = () => { if (this.proc.exitCode === null) this.proc.kill('SIGKILL'); };
    process.on('exit', reap);
    this.exited.then(() => process.off('exit', reap));
    await waitUntil(async () => {
      if (this.proc.exitCode !== null) throw new Error(`mosquitto exited:\n${this.log}`);
      return portOpen(this.port);
    }, 10000, () => `mosquitto on port ${this.port}:\n${this.log}`);
  }

  // SIGTERM: a broker with persistence writes its database on the way out.
  async stop({ keepDir = false } = {}) {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    const result = await this.exited;
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
    return result;
  }

  // SIGKILL: the broker loses whatever it had not written to its database.
  async crash() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }

  // SIGSTOP / SIGCONT: the broker holds its connections and reads nothing.
  freeze() { this.proc.kill('SIGSTOP'); }
  thaw() { this.proc.kill('SIGCONT'); }

  async restart() {
    await this.stop({ keepDir: true });
    await this.launch();
  }

  // mosquitto_pub with `args` after the connection options (-h, -p).
  pub(args, connection = ['-h', '127.0.0.1', '-p', String(this.port)]) {
    execFileSync('mosquitto_pub', [...connection, ...args], { timeout: 10000 });
  }

  // A mosquitto_sub that prints "retain topic payload" per message into `lines`.
  subscribe(args, connection = ['-h', '127.0.0.1', '-p', String(this.port)]) {
    const proc = spawn('mosquitto_sub', [...connection, '-F', '%r %t %p', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const sub = { proc, lines: [], err: '' };
    let partial = '';
    proc.stdout.on('data', (d) => {
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop();
      sub.lines.push(...parts);
    });
    proc.stderr.on('data', (d) => { sub.err += d; });
    sub.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    sub.stop = async () => { if (proc.exitCode === null) proc.kill('SIGTERM'); await sub.exited; };
    const reap = () => { if (proc.exitCode === null) proc.kill('SIGKILL'); };
    process.on('exit', reap);
    sub.exited.then(() => process.off('exit', reap));
    return sub;
  }

  // Resolves once `sub` (subscribed to `topic`'s filter) is receiving: probes
  // are published until one arrives, so no message after this is missed.
  async ready(sub, topic) {
    let n = 0;
    await waitUntil(() => {
      this.pub(['-t', topic, '-m', `probe-${++n}`]);
      return sub.lines.some((l) => l.includes(`${topic} probe-`));
    }, 10000, () => `subscriber on ${topic}: ${sub.err}`);
  }
}

// mosquitto_passwd -b: a password file for `users` ({name: password}).
export function passwordFile(path, users) {
  writeFileSync(path, '');
  for (const [user, password] of Object.entries(users)) execFileSync('mosquitto_passwd', ['-b', path, user, password]);
  return path;
}
