// Warden's web UI: the shell. Routes on location.pathname (client-side, with
// history.pushState), keeps the live event stream for every page, handles
// the admin key (login form), the theme and the keyboard.
//
//   /ui/activity             live activity            (pages: activity.js)
//   /ui/history              transactions, sessions   (history.js)
//   /ui/transactions/{id}    one transaction          (transaction.js)
//   /ui/policy               the policy chain         (policy.js)

import { AuthError, adminKey, getJson, setAdminKey } from './api.js';
import { h, replace, setText } from './dom.js';
import { live } from './live.js';
import * as activity from './activity.js';
import * as history from './history.js';
import * as transaction from './transaction.js';
import * as policy from './policy.js';

const main = document.getElementById('main');

const ROUTES = [
  { re: /^\/ui\/?$/, redirect: '/ui/activity' },
  { re: /^\/ui\/activity\/?$/, page: activity, nav: 'activity', title: 'Activity' },
  { re: /^\/ui\/history\/?$/, page: history, nav: 'history', title: 'History' },
  { re: /^\/ui\/sessions\/?$/, redirect: '/ui/history?view=sessions' },
  { re: /^\/ui\/transactions\/([^/]+)\/?$/, page: transaction, nav: 'history', title: 'Transaction' },
  { re: /^\/ui\/policy\/?$/, page: policy, nav: 'policy', title: 'Policy' },
];

let current = null; // { route, instance, path }
let loginShown = false;

// ---------------------------------------------------------------------------
// Navigation

export function navigate(url, { replace: replaceState = false, state = null } = {}) {
  const target = new URL(url, location.origin);
  if (target.origin !== location.origin) {
    location.assign(target.href);
    return;
  }
  const href = target.pathname + target.search + target.hash;
  // Each entry remembers where it came from, for "back" links.
  if (replaceState) {
    window.history.replaceState({ ...state, from: window.history.state?.from }, '', href);
  } else {
    window.history.pushState({ ...state, from: location.pathname + location.search }, '', href);
  }
  render();
}

function match(pathname) {
  for (const route of ROUTES) {
    const m = route.re.exec(pathname);
    if (m) return { route, params: m.slice(1).map(decodeURIComponent) };
  }
  return null;
}

function render() {
  const found = match(location.pathname);
  if (found && found.route.redirect) {
    navigate(found.route.redirect, { replace: true });
    return;
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', !!found && a.dataset.nav === found.route.nav);
    if (found && a.dataset.nav === found.route.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const query = new URLSearchParams(location.search);
  // Same page, new query (filters, pages, tabs): let the page update itself.
  if (current && found && current.route === found.route && current.path === location.pathname && current.instance?.update) {
    current.instance.update(query, window.history.state);
    return;
  }
  unmount();
  loginShown = false;
  if (!found) {
    document.title = 'Not found · Warden';
    replace(main, h('div.page.notfound', h('h1', 'Not found'),
      h('p', 'There is no page at ', h('code', location.pathname), '. Try ', h('a', { href: '/ui/activity' }, 'live activity'), '.')));
    return;
  }
  document.title = `${found.route.title} · Warden`;
  const container = h('div.page-host');
  replace(main, container);
  const ctx = {
    params: found.params,
    query,
    state: window.history.state,
    navigate,
    requireLogin: showLogin,
    setTitle: (t) => {
      document.title = `${t} · Warden`;
    },
  };
  current = { route: found.route, path: location.pathname, instance: found.route.page.mount(container, ctx) || {} };
}

function unmount() {
  if (current?.instance?.unmount) {
    try {
      current.instance.unmount();
    } catch (err) {
      console.error(err);
    }
  }
  current = null;
}

// Internal links navigate without a page load; modified clicks open tabs as usual.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.origin);
  if (url.origin !== location.origin || !url.pathname.startsWith('/ui/') || url.pathname.startsWith('/ui/assets/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});

window.addEventListener('popstate', () => render());

// ---------------------------------------------------------------------------
// Login

function showLogin(message) {
  if (loginShown) return; // the first refusal's message stands
  live.stream.stop();
  live.stream.setState('auth', { message });
  unmount();
  loginShown = true;
  document.title = 'Sign in · Warden';
  const input = h('input#admin-key', {
    type: 'password', name: 'key', autocomplete: 'current-password', required: true,
    placeholder: 'Admin key', 'aria-label': 'Admin key', spellcheck: 'false',
  });
  const error = h('p.login-error', { role: 'alert' }, message || '');
  const button = h('button.primary', { type: 'submit' }, 'Sign in');
  const form = h('form.login-card', { method: 'post', action: '/ui/login', novalidate: true },
    h('h1', 'Sign in to Warden'),
    h('p.muted', 'This gateway\'s admin API needs its admin key (auth.admin_key). It is kept for this browser tab only.'),
    h('label', { for: 'admin-key' }, 'Admin key'),
    input,
    error,
    button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) {
      setText(error, 'Enter the admin key.');
      return;
    }
    button.disabled = true;
    setText(error, '');
    const previous = adminKey();
    setAdminKey(key);
    try {
      await getJson('/admin/transactions', { limit: 1 });
    } catch (err) {
      setAdminKey(previous === key ? '' : previous);
      button.disabled = false;
      setText(error, err instanceof AuthError ? err.message : `Could not reach the admin API: ${err.message}`);
      input.select();
      return;
    }
    updateLogout();
    loginShown = false;
    live.restart();
    render();
  });
  replace(main, h('div.page.login', form));
  updateLogout();
  input.focus();
}

function updateLogout() {
  document.getElementById('logout').hidden = !adminKey();
}

document.getElementById('logout').addEventListener('click', () => {
  setAdminKey('');
  updateLogout();
  live.restart();
  render();
});

live.onAuthError = (err) => {
  if (!loginShown) showLogin(err.message);
};

// ---------------------------------------------------------------------------
// Connection state (header)

const conn = document.getElementById('conn');
let retryTimer = null;

function showConnection() {
  const s = live.connection;
  clearInterval(retryTimer);
  conn.className = `conn ${s.state}`;
  const label = conn.querySelector('.conn-label');
  const titles = {
    connecting: 'Connecting to the live event stream…',
    live: 'Receiving live events',
    waiting: `Disconnected (${s.message || 'the stream ended'}); reconnecting`,
    auth: 'Sign in to see live events',
    stopped: 'Not connected',
  };
  conn.title = titles[s.state] || '';
  conn.dataset.state = s.state;
  const text = () => {
    if (s.state === 'waiting') {
      const secs = Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000));
      return secs > 0 ? `Reconnecting in ${secs}s` : 'Reconnecting…';
    }
    return { connecting: 'Connecting…', live: 'Live', auth: 'Signed out', stopped: 'Offline' }[s.state] || s.state;
  };
  setText(label, text());
  if (s.state === 'waiting') retryTimer = setInterval(() => setText(label, text()), 500);
}

live.subscribe((change) => {
  if (change.connection) showConnection();
});

// ---------------------------------------------------------------------------
// Theme

const THEME_KEY = 'warden.theme';

// theme.js has set data-theme already (stored choice, else the system's).
function toggleTheme() {
  const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
  try {
    localStorage.setItem(THEME_KEY, next);
  } catch {
    // private mode
  }
  document.documentElement.dataset.theme = next;
  themeButton.setAttribute('aria-label', `Switch to ${next === 'dark' ? 'light' : 'dark'} mode`);
}

const themeButton = document.getElementById('theme-toggle');
themeButton.addEventListener('click', toggleTheme);

// ---------------------------------------------------------------------------
// Keyboard

const SHORTCUTS = [
  ['Anywhere', [['g a', 'Live activity'], ['g h', 'History'], ['g s', 'Sessions'], ['g p', 'Policy'], ['/', 'Search'], ['t', 'Dark / light mode'], ['?', 'This help'], ['Esc', 'Close, or leave a field']]],
  ['Lists', [['j / ↓', 'Next row'], ['k / ↑', 'Previous row'], ['Enter', 'Open'], ['[ / ]', 'Newer / older page'], ['p', 'Pause / resume live activity']]],
  ['Transaction', [['1 – 5', 'Conversation, diff, raw bytes, JSON, headers'], ['c', 'Copy as curl'], ['Backspace', 'Back']]],
];

let helpEl = null;
function toggleHelp(force) {
  const show = force ?? !helpEl;
  if (!show) {
    helpEl?.remove();
    helpEl = null;
    return;
  }
  if (helpEl) return;
  const close = h('button.icon', { type: 'button', 'aria-label': 'Close' }, '×');
  close.addEventListener('click', () => toggleHelp(false));
  helpEl = h('div.overlay', { role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Keyboard shortcuts' },
    h('div.help-card',
      h('div.help-head', h('h2', 'Keyboard shortcuts'), close),
      SHORTCUTS.map(([group, keys]) => h('section',
        h('h3', group),
        h('dl.keys', keys.map(([k, what]) => [h('dt', k.split(' ').map((part) => (part === '/' && k !== '/' ? ' / ' : h('kbd', part)))), h('dd', what)]))))));
  helpEl.addEventListener('click', (e) => {
    if (e.target === helpEl) toggleHelp(false);
  });
  document.body.appendChild(helpEl);
}
document.getElementById('help-button').addEventListener('click', () => toggleHelp());

let pendingG = 0;

function isTyping(el) {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'Escape') {
    if (helpEl) {
      toggleHelp(false);
      e.preventDefault();
      return;
    }
    if (isTyping(document.activeElement)) {
      document.activeElement.blur();
      e.preventDefault();
      return;
    }
  }
  if (isTyping(document.activeElement)) return;
  if (helpEl && e.key !== '?') return;
  if (pendingG && Date.now() - pendingG < 1500) {
    pendingG = 0;
    const to = { a: '/ui/activity', h: '/ui/history', s: '/ui/history?view=sessions', p: '/ui/policy' }[e.key];
    if (to) {
      e.preventDefault();
      navigate(to);
      return;
    }
  }
  pendingG = 0;
  if (e.key === 'g') {
    pendingG = Date.now();
    e.preventDefault();
    return;
  }
  if (e.key === '?') {
    toggleHelp();
    e.preventDefault();
    return;
  }
  if (e.key === 't') {
    toggleTheme();
    e.preventDefault();
    return;
  }
  if (e.key === '/') {
    const search = main.querySelector('[data-search]');
    if (search) {
      search.focus();
      search.select?.();
      e.preventDefault();
      return;
    }
  }
  if (current?.instance?.onKey && current.instance.onKey(e)) e.preventDefault();
});

// ---------------------------------------------------------------------------

updateLogout();
showConnection();
live.start();
render();
