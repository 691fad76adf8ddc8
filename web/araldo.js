/*
 * araldo.js: a small, dependency-free WebSocket client for araldo.
 *
 *   const client = Araldo.connect('/chat', { token: 'secret' });
 *   client.addEventListener('open', () => client.publish('chat', { text: 'hi' }));
 *   client.addEventListener('message', (e) => console.log(e.detail.json ?? e.detail.data));
 *   client.addEventListener('close', (e) => console.log('closed', e.detail.code, 'retry in', e.detail.delay));
 *
 * It reconnects after a close it did not ask for when a new connection can
 * succeed (the relay restarted, the network dropped), with exponential backoff
 * and full jitter (a random delay between 0 and min(maxDelay, minDelay * 2^attempt)),
 * so a restarted relay is not hit by every browser at the same instant. It
 * stops, and fires 'refused', when the relay refuses the client itself (a
 * policy close, or maxFailures attempts in a row that never opened: browsers
 * show a 401/403 at the upgrade only as a close 1006 before open).
 *
 * Folders (an endpoint with `folders: true`, docs/folders.md):
 *
 *   client.subscribe('/acme/greenhouse', { includeChildren: true, messageType: 'sensor_update' });
 *   client.publish('set_point', { celsius: 21 }, { folder: '/acme/greenhouse/pi-7' });
 *   client.addEventListener('subscribed', (e) => e.detail.recovered === false && reloadState());
 *
 * The client keeps its subscriptions and, for each folder it heard from, the
 * offset and epoch of the last message. After every reconnect it subscribes
 * again with `since`, so the relay sends what it missed, in order, before
 * live messages (with a history on the endpoint); a message at or below the
 * kept offset of its folder is a duplicate and is not passed on. When the
 * relay no longer holds what was missed, 'subscribed' says recovered: false.
 *
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
    maxFailures: 5,      // attempts in a row that never open before giving up, until a first open
    stableAfter: 10000,  // ms a connection must last before the backoff starts over
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

  // Closes after which reconnecting cannot help: the relay refused this client
  // (or this page's code), not the connection. 1008 is araldo's policy close;
  // of its reasons, a slow consumer or a missed pong may well do better on a
  // new connection, and an expired token does when a token function can issue
  // a fresh one. 4000-4999 are the application's own codes: terminal unless an
  // application says otherwise with a 1012/1013 instead.
  const terminalCodes = new Set([1002, 1003, 1008, 1010]);
  const retryablePolicy = new Set(['slow consumer', 'pong timeout']);

  function isTerminal(code, reason, renewableToken) {
    if (code >= 4000 && code <= 4999) return true;
    if (code === 1008) {
      if (retryablePolicy.has(reason)) return false;
      if (reason === 'token expired') return !renewableToken;
    }
    return terminalCodes.has(code);
  }

  function subscription(folder, options) {
    const o = options || {};
    const sub = { folder: folder, include_children: !!o.includeChildren };
    if (o.messageType) sub.message_type = o.messageType;
    return sub;
  }

  function subscriptionKey(sub) {
    return sub.folder + '\n' + sub.include_children + '\n' + (sub.message_type || '');
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
      this.attempt = 0;       // the backoff's exponent: attempts since a connection last lasted
      this.failures = 0;      // attempts in a row that closed before opening
      this.everOpened = false;
      this.openedAt = null;   // when the current connection opened (ms)
      this.stopped = false;   // close() was called, or the relay refused: no more reconnects
      this.timer = null;
      this.subscriptions = new Map();  // key -> {folder, include_children, message_type}
      this.positions = new Map();      // folder -> {offset, epoch}: the last message heard
      this.identity = null;            // the relay's connect message: {client, identity, folder}
    }

    get connected() {
      return this.socket !== null && this.socket.readyState === 1;
    }

    // Opens the connection (also called by Araldo.connect); after a refusal or
    // close(), starts over as a new client would.
    open() {
      this.stopped = false;
      this.failures = 0;
      this.attempt = 0;
      this.everOpened = false;
      return this.connect();
    }

    connect() {
      clearTimeout(this.timer);
      this.timer = null;
      if (this.socket) return this;  // open() while connecting or connected
      const token = typeof this.options.token === 'function' ? this.options.token() : this.options.token;
      const socket = new this.options.WebSocket(withToken(this.url, token));
      socket.binaryType = this.options.binaryType;
      this.socket = socket;
      socket.onopen = () => {
        this.failures = 0;
        this.everOpened = true;
        this.openedAt = Date.now();
        this.emit('open', {});
        if (this.subscriptions.size > 0) this.sendSubscriptions([...this.subscriptions.values()], true);
      };
      socket.onmessage = (e) => this.received(e.data);
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

    // araldo's message shape: {"type": ..., "parameters": {...}}, with
    // options.folder for an endpoint in folder mode (none: the client's own).
    publish(type, parameters, options) {
      const message = { type: type, parameters: parameters || {} };
      if (options && options.folder) message.folder = options.folder;
      return this.sendJSON(message);
    }

    // Hears `folder` (and below it with includeChildren; one message type
    // with messageType) from now on, across reconnects. The relay answers
    // with a 'subscribed' or an 'error' event.
    subscribe(folder, options) {
      const sub = subscription(folder, options);
      this.subscriptions.set(subscriptionKey(sub), sub);
      if (this.connected) this.sendSubscriptions([sub], false);
      return this;
    }

    unsubscribe(folder, options) {
      const sub = subscription(folder, options);
      this.subscriptions.delete(subscriptionKey(sub));
      if (this.connected) this.sendJSON({ type: 'unsubscribe', parameters: { subscriptions: [sub] } });
      return this;
    }

    // After a reconnect, each subscription asks for what came after the last
    // message heard in its folder (and, with children, in each folder below
    // it that was heard from).
    sendSubscriptions(subs, resume) {
      const list = subs.map((sub) => {
        const since = resume ? this.resumePoints(sub) : [];
        if (since.length === 0) return sub;
        return Object.assign({}, sub, { since: since });
      });
      this.sendJSON({ type: 'subscribe', parameters: { subscriptions: list } });
    }

    resumePoints(sub) {
      const points = [];
      for (const [folder, at] of this.positions) {
        const below = sub.include_children && (sub.folder === '/' || folder.startsWith(sub.folder + '/'));
        if (folder === sub.folder || below) points.push({ folder: folder, offset: at.offset, epoch: at.epoch });
      }
      return points;
    }

    received(data) {
      const json = parseJson(data);
      if (json && typeof json === 'object' && !Array.isArray(json)) {
        if (json.type === 'connect' && json.parameters) {
          this.identity = json.parameters;
          this.emit('connect', json.parameters);
          return;
        }
        if (json.type === 'subscribed' && json.parameters) {
          for (const sub of json.parameters.subscriptions || []) {
            // Where the folder stands now: a resume point even before any message.
            if (typeof sub.offset === 'number' && !this.positions.has(sub.folder))
              this.positions.set(sub.folder, { offset: sub.offset, epoch: sub.epoch });
            if (sub.recovered === false) this.forget(sub);
            this.emit('subscribed', sub);
          }
          return;
        }
        if (typeof json.offset === 'number' && typeof json.folder === 'string' && typeof json.epoch === 'string') {
          const last = this.positions.get(json.folder);
          if (last && last.epoch === json.epoch && json.offset <= last.offset) return;  // heard already
          this.positions.set(json.folder, { offset: json.offset, epoch: json.epoch });
        }
      }
      this.emit('message', { data: data, json: json });
    }

    // What was missed is gone: start afresh from what comes next.
    forget(sub) {
      for (const point of this.resumePoints(sub)) this.positions.delete(point.folder);
      if (typeof sub.offset === 'number') this.positions.set(sub.folder, { offset: sub.offset, epoch: sub.epoch });
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
      const refusal = this.stopped || !this.options.reconnect ? null : this.refusal(code, reason);
      if (refusal) this.stopped = true;
      const willReconnect = !this.stopped && this.options.reconnect;
      const delay = willReconnect ? this.nextDelay() : null;
      this.emit('close', { code: code, reason: reason, willReconnect: willReconnect, delay: delay });
      if (refusal) this.emit('refused', refusal);
      if (willReconnect) this.timer = setTimeout(() => this.connect(), delay);
    }

    // What ends the retries, or null: a terminal close code, or maxFailures
    // attempts in a row that never opened while none ever has (once one has,
    // such failures are taken for a relay restarting or a network down).
    refusal(code, reason) {
      const opened = this.openedAt !== null;
      if (opened && Date.now() - this.openedAt >= this.options.stableAfter) this.attempt = 0;
      this.openedAt = null;
      if (opened) {
        const renewable = typeof this.options.token === 'function';
        return isTerminal(code, reason, renewable) ? { code: code, reason: reason, attempts: 1 } : null;
      }
      this.failures += 1;
      if (this.everOpened || this.failures < this.options.maxFailures) return null;
      return { code: code, reason: reason || 'could not connect', attempts: this.failures };
    }

    emit(type, detail) {
      this.dispatchEvent(new CustomEvent(type, { detail: detail }));
    }
  }

  return {
    Client: Client,
    isTerminal: isTerminal,
    // Creates a client and opens it.
    connect: function (url, options) {
      return new Client(url, options).open();
    },
  };
});
