// DOM and formatting helpers shared by every page.
//
// Everything the UI shows that came from the gateway (model output, tool
// arguments, headers, ids) is untrusted: it only ever reaches the page as a
// text node or an attribute value set through the DOM, never as HTML. h() is
// the one way pages build elements; there is no innerHTML anywhere.

/**
 * h('div.row.selected', { title: 'x', onclick: fn, dataset: { id } }, 'text', child, [more])
 * The tag may carry .classes and one #id. Children: strings and numbers become
 * text nodes, null/undefined/false are skipped, arrays are flattened.
 */
export function h(spec, attrs, ...children) {
  if (attrs === null || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs)) {
    if (attrs !== undefined) children.unshift(attrs);
    attrs = {};
  }
  const [tagAndId, ...classes] = spec.split('.');
  const [tag, id] = tagAndId.split('#');
  const el = document.createElement(tag || 'div');
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') {
      el.className = [el.className, value].filter(Boolean).join(' ');
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled' || key === 'open') {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (strings as text nodes; arrays flattened; falsy skipped). */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Sets the text of `el` only when it changed (no needless layout work). */
export function setText(el, text) {
  const s = String(text ?? '');
  if (el.textContent !== s) el.textContent = s;
}

// ---------------------------------------------------------------------------
// Formatting

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** µs since the epoch → "14:03:07" today, else "Nov 24 14:03:07". */
export function formatTime(us) {
  if (!us) return '';
  const d = new Date(us / 1000);
  const now = new Date();
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === now.toDateString()) return time;
  const month = d.toLocaleString('en', { month: 'short' });
  const year = d.getFullYear() === now.getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `${month} ${d.getDate()}${year} ${time}`;
}

/** µs since the epoch → full local date and time with milliseconds. */
export function formatDateTime(us) {
  if (!us) return '';
  const d = new Date(us / 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A duration in µs → "840 ms", "3.21 s", "2m 05s". */
export function formatDuration(us) {
  if (us === null || us === undefined || us < 0) return '';
  const ms = us / 1000;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  return `${m}m ${pad(Math.floor(s % 60))}s`;
}

/** 1234 → "1,234"; 1234567 → "1.23M". */
export function formatCount(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '';
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  return n.toLocaleString('en');
}

/** Bytes → "512 B", "3.4 KiB", "1.2 MiB". */
export function formatBytes(n) {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** "a long session id" → "a long se…" (keeps the whole one for a title). */
export function shorten(text, max = 24) {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Pretty JSON for display; strings that hold JSON stay strings. */
export function prettyJson(value) {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

/** Parses JSON text; the text itself when it is not JSON. */
export function tryParseJson(text) {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The CSS class of a policy action: blocked, rewrite, pass or info. */
export function actionKind(action) {
  const a = String(action || '');
  if (a.includes('blocked')) return 'blocked';
  if (a.includes('replaced') || a.includes('rewrote') || a.includes('rewrite')) return 'rewrite';
  if (a.includes('allowed') || a.includes('passed')) return 'pass';
  return 'info';
}

/** The status badge of a transaction summary or live entry. */
export function statusBadge(t) {
  if (t.state === 'running') return h('span.badge.running', { title: 'streaming' }, h('span.spinner'), 'live');
  if (t.state === 'interrupted') return h('span.badge.muted', { title: 'the gateway went away before recording it' }, 'lost');
  const status = t.status || 0;
  const outcome = t.outcome || '';
  let kind = 'ok';
  if (status >= 400 || outcome === 'error') kind = 'err';
  else if (outcome === 'client_gone') kind = 'warn';
  else if (outcome === 'blocked' || (t.policy_actions || []).some((a) => a.includes('blocked'))) kind = 'blocked';
  const label = status ? String(status) : outcome || '?';
  const title = [outcome, t.error].filter(Boolean).join(': ');
  return h(`span.badge.${kind}`, { title: title || undefined }, label);
}

/** Chips summing up "policy:action" words by kind (blocked, rewrote, allowed, …), for table rows. */
export function actionSummary(actions) {
  const kinds = new Map();
  for (const word of actions || []) {
    const action = word.includes(':') ? word.split(':')[1] : word;
    const kind = actionKind(action);
    if (!kinds.has(kind)) kinds.set(kind, []);
    kinds.get(kind).push(word);
  }
  const label = { blocked: 'blocked', rewrite: 'rewrote', pass: 'allowed', info: 'acted' };
  return ['blocked', 'rewrite', 'pass', 'info'].filter((k) => kinds.has(k)).map((k) => {
    const words = kinds.get(k);
    return h(`span.chip.${k}`, { title: words.join('\n') }, words.length > 1 ? `${words.length} ${label[k]}` : label[k]);
  });
}

/** Small chips for "policy:action" words. */
export function actionChips(actions) {
  const counts = new Map();
  for (const a of actions || []) counts.set(a, (counts.get(a) || 0) + 1);
  return [...counts].map(([word, n]) => {
    const action = word.includes(':') ? word.split(':')[1] : word;
    return h(`span.chip.${actionKind(action)}`, { title: word }, action.replace(/_/g, ' '), n > 1 ? ` ×${n}` : null);
  });
}

/** Debounces fn by ms. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** Copies text to the clipboard; falls back to selecting `fallbackEl` and execCommand. */
export async function copyText(text, fallbackEl) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallbackEl) {
      fallbackEl.focus();
      fallbackEl.select();
      try {
        return document.execCommand('copy');
      } catch {
        return false;
      }
    }
    return false;
  }
}

/** A short-lived notice at the bottom of the screen. */
export function toast(message, kind = 'info') {
  let host = document.getElementById('toasts');
  if (!host) {
    host = h('div#toasts', { role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(host);
  }
  const el = h(`div.toast.${kind}`, message);
  host.appendChild(el);
  setTimeout(() => el.remove(), 2600);
}

/** Renders any JSON value as a readable tree (objects as key/value rows). */
export function jsonTree(value, depth = 0) {
  if (value === null) return h('span.j-null', 'null');
  if (Array.isArray(value)) {
    if (value.length === 0) return h('span.j-empty', '[]');
    if (value.every((v) => v === null || typeof v !== 'object')) {
      return h('span.j-list', value.map((v, i) => [i ? ', ' : null, jsonTree(v, depth + 1)]));
    }
    return h('ol.j-array', value.map((v) => h('li', jsonTree(v, depth + 1))));
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return h('span.j-empty', '{}');
    return h('dl.j-object', entries.map(([k, v]) => [h('dt', k), h('dd', jsonTree(v, depth + 1))]));
  }
  if (typeof value === 'string') return h('code.j-string', value);
  if (typeof value === 'boolean') return h('code.j-bool', String(value));
  return h('code.j-number', String(value));
}
