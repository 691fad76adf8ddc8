/*
 * araldo.js: a small, dependency-free WebSocket client for araldo.
 *
 *   const client = Araldo.connect('/chat', { token: 'secret' });
 *   client.addEventListener('open', () => client.publish('chat', { text: 'hi' }));
 *   client.addEventListener('message', (e) => console.log(e.detail.json ?? e.detail.data));
 *   client.addEventListener('close', (e) => console.log('closed', e.detail.code, 'retry in', e.detail.delay));
 *
 * It reconnects after every close it did not ask for, with exponential backoff
 * and full jitter (a random delay between 0 and min(maxDelay, minDelay * 2^attempt)),
 * so a restarted relay is not hit by every browser at the same instant.
 * Works as a classic <script> (window.Araldo) and under CommonJS.
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.Araldo = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const defaults = {
    token: null,         // string, or a function returning one (called on every connect)
    minDelay: 500,       // ms: the backoff's first ceiling
    maxDelay: 30000,     // ms: the backoff's largest ceiling
    reconnect: true,     // reconnect after a close the client did not ask for
    binaryType: 'arraybuffer',
    WebSocket: typeof WebSocket !== 'undefined' ? WebSocket : null,
  };

  // '/chat' becomes ws(s)://<this page's host>/chat; full ws:// URLs are kept.
  function resolveUrl(url) {
    if (/^wss?:\/\//.test(url)) return url;
    if (typeof location === 'undefined') throw new Error('araldo.js: give a ws:// URL outside a browser');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return scheme + '//' + location.host + (url.startsWith('/') ? url : '/' + url);
  }

  // Browsers cannot set headers on a WebSocket: the token goes as ?token=.
  function withToken(url, token) {
    if (!token) return url;
    return url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
  }

  function parseJson(data) {
    if (typeof data !== 'string') return undefined;
    try {
      return JSON.parse(data);
    } catch (e) {
      return undefined;
    }
  }

  class Client extends EventTarget {
    constructor(url, options) {
      super();
      this.url = resolveUrl(url);
      this.options = Object.assign({}, defaults, options || {});
      this.socket = null;
      this.attempt = 0;      // consecutive failed connections, for the backoff
      this.stopped = false;  // close() was called: no more reconnects
      this.timer = null;
    }

    get connected() {
      return this.socket !== null && this.socket.readyState === 1;
    }

    // Opens the connection (also called by Araldo.connect and on reconnect).
    open() {
      this.stopped = false;
      clearTimeout(this.timer);
      const token = typeof this.options.token === 'function' ? this.options.token() : this.options.token;
      const socket = new this.options.WebSocket(withToken(this.url, token));
      socket.binaryType = this.options.binaryType;
      this.socket = socket;
      socket.onopen = () => {
        this.attempt = 0;
        this.emit('open', {});
      };
      socket.onmessage = (e) => this.emit('message', { data: e.data, json: parseJson(e.data) });
      socket.onerror = () => this.emit('error', {});
      socket.onclose = (e) => this.closed(socket, e.code, e.reason);
      return this;
    }

    // Sends text (strings) or binary (ArrayBuffer, typed arrays, Blob).
    // False when not connected: nothing is queued while offline.
    send(data) {
      if (!this.connected) return false;
      this.socket.send(data);
      return true;
    }

    sendJSON(value) {
      return this.send(JSON.stringify(value));
    }

    // araldo's message shape: {"type": ..., "parameters": {...}}.
    publish(type, parameters) {
      return this.sendJSON({ type: type, parameters: parameters || {} });
    }

    // Closes for good (no reconnect).
    close(code, reason) {
      this.stopped = true;
      clearTimeout(this.timer);
      if (this.socket && this.socket.readyState <= 1) this.socket.close(code || 1000, reason || '');
    }

    // Full jitter: uniformly random in [0, min(maxDelay, minDelay * 2^attempt)).
    nextDelay() {
      const ceiling = Math.min(this.options.maxDelay, this.options.minDelay * Math.pow(2, this.attempt));
      this.attempt += 1;
      return Math.floor(Math.random() * ceiling);
    }

    closed(socket, code, reason) {
      if (socket !== this.socket) return;  // an older connection's late event
      this.socket = null;
      const willReconnect = !this.stopped && this.options.reconnect;
      const delay = willReconnect ? this.nextDelay() : null;
      this.emit('close', { code: code, reason: reason, willReconnect: willReconnect, delay: delay });
      if (willReconnect) this.timer = setTimeout(() => this.open(), delay);
    }

    emit(type, detail) {
      this.dispatchEvent(new CustomEvent(type, { detail: detail }));
    }
  }

  return {
    Client: Client,
    // Creates a client and opens it.
    connect: function (url, options) {
      return new Client(url, options).open();
    },
  };
});
