// Redis for the node tests: redis-server as a child process on a free
// loopback port, and a raw RESP2 client (commands, and the pushes of a
// subscribed connection), so that no Redis client library is needed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from './araldo.mjs';

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
export class RespClient {
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
export class RedisServer {
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
