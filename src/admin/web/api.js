// The admin API client: JSON requests with the admin key, and the live event
// stream (GET /admin/events) read with fetch() — EventSource cannot send an
// Authorization header — reconnecting with backoff when it ends or fails.

const KEY_STORAGE = 'warden.adminKey';

/** The admin key the user gave in this browser session, or ''. */
export function adminKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || '';
  } catch {
    return '';
  }
}

export function setAdminKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled: the key lives only as long as the page
  }
}

function headers(extra = {}) {
  const out = { accept: 'application/json', ...extra };
  const key = adminKey();
  if (key) out.authorization = `Bearer ${key}`;
  return out;
}

/** The admin API refused us (401/403): the UI shows the login form with `message`. */
export class AuthError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'AuthError';
    this.status = status;
  }
}

/** Any other non-2xx answer; `status` and the server's error message. */
export class ApiError extends Error {
  constructor(status, message, type) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
  }
}

async function errorOf(res) {
  let message = `${res.status} ${res.statusText}`;
  let type = '';
  try {
    const body = await res.json();
    if (body && body.error) {
      message = body.error.message || message;
      type = body.error.type || '';
    }
  } catch (err) {
    if (err && err.name === 'AbortError') throw err; // the caller gave up: not an answer
    // not JSON
  }
  if (res.status === 401 || res.status === 403) return new AuthError(res.status, message);
  return new ApiError(res.status, message, type);
}

/** GET an admin path (with an optional query object; empty values left out) → parsed JSON. */
export async function getJson(path, query = {}, { signal } = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  const res = await fetch(qs ? `${path}?${qs}` : path, { headers: headers(), signal, cache: 'no-store' });
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

// ---------------------------------------------------------------------------
// Live events

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 5000;
// The server sends a keepalive comment every 15 s; silence longer than this
// means the connection is dead even if the socket did not say so.
const SILENCE_MS = 40_000;

/**
 * new LiveStream({ onEvent, onState, onConnected }).start()
 *   onEvent({type, instance, at_us, data})  one per `data:` line
 *   onState({state, message, retryInMs})    'connecting' | 'live' | 'waiting' | 'auth' | 'stopped'
 *   onConnected(instanceId)                 after each successful (re)connect
 */
export class LiveStream {
  constructor({ onEvent, onState, onConnected }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.onConnected = onConnected;
    this.backoff = MIN_BACKOFF_MS;
    this.controller = null;
    this.timer = null;
    this.running = false;
    this.state = 'stopped';
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.backoff = MIN_BACKOFF_MS;
    this.connect();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    if (this.controller) this.controller.abort();
    this.setState('stopped');
  }

  /** Reconnect now (e.g. after a login). */
  restart() {
    this.stop();
    this.start();
  }

  setState(state, extra = {}) {
    this.state = state;
    this.onState?.({ state, ...extra });
  }

  async connect() {
    if (!this.running) return;
    clearTimeout(this.timer);
    const controller = new AbortController();
    this.controller = controller;
    this.setState('connecting');
    let failure = 'the stream ended';
    let watchdog = null;
    const pet = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
    };
    try {
      const res = await fetch('/admin/events', {
        headers: headers({ accept: 'text/event-stream' }),
        signal: controller.signal,
        cache: 'no-store',
      });
      if (!res.ok) {
        const err = await errorOf(res);
        if (err instanceof AuthError) {
          this.running = false;
          this.setState('auth', { message: err.message });
          this.onAuthError?.(err);
          return;
        }
        throw err;
      }
      pet();
      let connected = false;
      await readSse(res.body, {
        comment: (text) => {
          pet();
          const m = /^\s*connected to (\S+)/.exec(text);
          if (m && !connected) {
            connected = true;
            this.backoff = MIN_BACKOFF_MS;
            this.setState('live');
            this.onConnected?.(m[1]);
          }
        },
        data: (text) => {
          pet();
          if (!connected) {
            connected = true;
            this.backoff = MIN_BACKOFF_MS;
            this.setState('live');
            this.onConnected?.('');
          }
          let event;
          try {
            event = JSON.parse(text);
          } catch {
            return;
          }
          this.onEvent?.(event);
        },
      });
    } catch (err) {
      failure = controller.signal.aborted && !this.running ? 'stopped' : err.message || String(err);
    } finally {
      clearTimeout(watchdog);
    }
    if (!this.running || this.controller !== controller) return;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.setState('waiting', { message: failure, retryInMs: wait, retryAt: Date.now() + wait });
    this.timer = setTimeout(() => this.connect(), wait);
  }
}

/** Reads an SSE body, calling handlers.data(text) per event and handlers.comment(text) per comment line. */
async function readSse(body, handlers) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data = [];
  const line = (l) => {
    if (l === '') {
      if (data.length) handlers.data(data.join('\n'));
      data = [];
    } else if (l.startsWith(':')) {
      handlers.comment(l.slice(1));
    } else {
      const colon = l.indexOf(':');
      const field = colon < 0 ? l : l.slice(0, colon);
      let value = colon < 0 ? '' : l.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      // A CR at the very end may be half of a CRLF: keep it for the next read.
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c === '\n' || c === '\r') {
          if (c === '\r' && i === buffer.length - 1) break;
          line(buffer.slice(start, i));
          if (c === '\r' && buffer[i + 1] === '\n') i++;
          start = i + 1;
        }
      }
      buffer = buffer.slice(start);
    }
  } finally {
    reader.releaseLock();
  }
}
