// History: recorded transactions (or sessions), newest first, a page of 50 at
// a time with the server's cursor, searched and filtered on the server — so
// it stays fast with any number of records. The URL holds the view, the
// filters and the cursor; history.state holds the cursors of the pages before.

import { ApiError, AuthError, getJson } from './api.js';
import { h, replace, setText, debounce, formatTime, formatCount, formatDuration, shorten } from './dom.js';
import { ListNav, reconcile } from './listnav.js';
import { tableHead, colgroup, createRow, updateRow } from './txtable.js';

const PAGE_SIZE = 50;
const TX_FILTERS = ['q', 'model', 'status', 'outcome', 'action', 'session', 'caller', 'from', 'to'];
const SESSION_FILTERS = ['q', 'from', 'to'];

const OUTCOMES = [['', 'Any outcome'], ['completed', 'Completed'], ['error', 'Error'], ['blocked', 'Blocked'], ['client_gone', 'Client gone']];
const ACTIONS = ['blocked_tool_call', 'allowed_tool_call', 'replaced_text', 'blocked_content', 'rules_passed', 'rules_rewrote', 'rules_blocked'];

/** datetime-local value ↔ the API's Unix milliseconds. */
function toMs(local) {
  if (!local) return '';
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? '' : String(t);
}
function toLocal(ms) {
  if (!ms) return '';
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function mount(root, ctx) {
  let view = ctx.query.get('view') === 'sessions' ? 'sessions' : 'transactions';
  let params = readParams(ctx.query);
  // Cursors of the pages before this one (page 1's is '').
  let stack = Array.isArray(ctx.state?.stack) ? ctx.state.stack : [];
  let controller = null;

  // --- elements -----------------------------------------------------------
  const tabTx = h('a.tab', { href: '/ui/history' }, 'Transactions');
  const tabSessions = h('a.tab', { href: '/ui/history?view=sessions' }, 'Sessions');
  const search = h('input.search', { type: 'search', 'data-search': '', 'aria-label': 'Search', autocomplete: 'off', spellcheck: 'false' });
  const model = h('input.f-model', { type: 'text', placeholder: 'Model', 'aria-label': 'Model', spellcheck: 'false' });
  const status = h('input.f-status', { type: 'text', inputmode: 'numeric', placeholder: 'Status', 'aria-label': 'HTTP status', size: 6 });
  const outcome = h('select.f-outcome', { 'aria-label': 'Outcome' }, OUTCOMES.map(([v, l]) => h('option', { value: v }, l)));
  const action = h('input.f-action', { type: 'text', placeholder: 'Policy action', list: 'history-actions', 'aria-label': 'Policy action', spellcheck: 'false' });
  const actionList = h('datalist#history-actions', ACTIONS.map((a) => h('option', { value: a })));
  const session = h('input.f-session', { type: 'text', placeholder: 'Session', 'aria-label': 'Session', spellcheck: 'false' });
  const caller = h('input.f-caller', { type: 'text', placeholder: 'Caller (k_…)', 'aria-label': 'Caller', spellcheck: 'false' });
  const from = h('input.f-from', { type: 'datetime-local', 'aria-label': 'From' });
  const to = h('input.f-to', { type: 'datetime-local', 'aria-label': 'To' });
  const clear = h('button.link', { type: 'button' }, 'Clear filters');
  const txOnly = h('div.filters.tx-only', model, status, outcome, action, actionList, session, caller);
  const timeFilters = h('div.filters', h('label.inline', 'From ', from), h('label.inline', 'to ', to), clear);

  const message = h('div.message', { role: 'status' });
  const tbody = h('tbody');
  const table = h('table.tx-table', colgroup(), tableHead(), tbody);
  const sessionsBody = h('tbody');
  const sessionsTable = h('table.sessions-table',
    h('colgroup', ['last', 'session', 'count', 'tokens', 'models', 'actions', 'errors', 'first'].map((c) => h(`col.s-${c}`))),
    h('thead', h('tr', [['last', 'Last activity'], ['session', 'Session'], ['count', 'Transactions'], ['tokens', 'Tokens in → out'],
      ['models', 'Models'], ['actions', 'Policy acted'], ['errors', 'Errors'], ['first', 'Started']].map(([c, l]) => h(`th.s-${c}`, { scope: 'col' }, l)))),
    sessionsBody);
  const newer = h('button.pager-btn', { type: 'button', title: 'Newer ( [ )' }, '← Newer');
  const older = h('button.pager-btn', { type: 'button', title: 'Older ( ] )' }, 'Older →');
  const pageLabel = h('span.page-label.muted');
  const pager = h('div.pager', newer, pageLabel, older);
  const tableWrap = h('div.table-wrap.history-wrap', table, sessionsTable, message);

  replace(root, h('div.page.history',
    h('div.toolbar',
      h('h1', 'History'),
      h('nav.tabs', { 'aria-label': 'View' }, tabTx, tabSessions),
      h('div.spacer'),
      search),
    h('div.toolbar.secondary', txOnly, timeFilters),
    tableWrap,
    pager));

  const open = (row) => {
    if (view === 'sessions') go({ view: 'transactions', params: { session: row.dataset.id } });
    else ctx.navigate(`/ui/transactions/${encodeURIComponent(row.dataset.id)}`);
  };
  const remembered = ctx.state?.selected ?? null;
  const navTx = new ListNav(tbody, { onOpen: open, selectedId: view === 'transactions' ? remembered : null });
  const navSessions = new ListNav(sessionsBody, { onOpen: open, selectedId: view === 'sessions' ? remembered : null });
  const nav = () => (view === 'sessions' ? navSessions : navTx);
  for (const body of [tbody, sessionsBody]) {
    body.addEventListener('click', (e) => {
      const row = e.target.closest('tr[data-id]');
      if (!row) return;
      nav().select(row, { scroll: false });
      nav().remember();
      if (e.target.closest('a')) return; // the link navigates itself
      open(row);
    });
  }

  const sessionLink = (s) => `/ui/history?session=${encodeURIComponent(s)}`;
  const callerLink = (c) => `/ui/history?caller=${encodeURIComponent(c)}`;

  // --- state ↔ URL ---------------------------------------------------------
  function readParams(query) {
    const p = {};
    for (const k of TX_FILTERS) if (query.get(k)) p[k] = query.get(k);
    if (query.get('cursor')) p.cursor = query.get('cursor');
    return p;
  }

  function urlFor(v, p) {
    const q = new URLSearchParams();
    if (v === 'sessions') q.set('view', 'sessions');
    for (const k of v === 'sessions' ? SESSION_FILTERS : TX_FILTERS) if (p[k]) q.set(k, p[k]);
    if (p.cursor) q.set('cursor', p.cursor);
    const qs = q.toString();
    return qs ? `/ui/history?${qs}` : '/ui/history';
  }

  /** A new search: page 1, pushed (or replaced while typing). */
  function go({ view: v = view, params: p, replace: rep = false, stack: s = [] }) {
    ctx.navigate(urlFor(v, p), { replace: rep, state: { stack: s } });
  }

  function fillInputs() {
    search.value = params.q || '';
    search.placeholder = view === 'sessions' ? 'Search session ids…  ( / )' : 'Search requests and responses…  ( / )';
    model.value = params.model || '';
    status.value = params.status || '';
    outcome.value = params.outcome || '';
    action.value = params.action || '';
    session.value = params.session || '';
    caller.value = params.caller || '';
    from.value = toLocal(params.from);
    to.value = toLocal(params.to);
    tabTx.classList.toggle('active', view === 'transactions');
    tabSessions.classList.toggle('active', view === 'sessions');
    tabTx.setAttribute('aria-selected', String(view === 'transactions'));
    tabSessions.setAttribute('aria-selected', String(view === 'sessions'));
    txOnly.hidden = view === 'sessions';
    table.hidden = view === 'sessions';
    sessionsTable.hidden = view !== 'sessions';
    ctx.setTitle(view === 'sessions' ? 'Sessions' : 'History');
  }

  function fromInputs() {
    const p = {};
    const set = (k, v) => {
      if (v) p[k] = v;
    };
    set('q', search.value.trim());
    if (view === 'transactions') {
      set('model', model.value.trim());
      set('status', status.value.trim());
      set('outcome', outcome.value);
      set('action', action.value.trim());
      set('session', session.value.trim());
      set('caller', caller.value.trim());
    }
    set('from', toMs(from.value));
    set('to', toMs(to.value));
    return p;
  }

  const typed = debounce(() => go({ params: fromInputs(), replace: true }), 300);
  for (const input of [search, model, status, action, session, caller]) input.addEventListener('input', typed);
  for (const input of [outcome, from, to]) input.addEventListener('change', () => go({ params: fromInputs(), replace: true }));
  for (const input of [search, model, status, action, session, caller]) {
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        typed.cancel();
        go({ params: fromInputs(), replace: true });
        e.preventDefault();
      }
      if (e.key === 'ArrowDown' && input === search) {
        input.blur();
        nav().move(1);
        e.preventDefault();
      }
    });
  }
  clear.addEventListener('click', () => go({ params: {} }));
  newer.addEventListener('click', () => pageNewer());
  older.addEventListener('click', () => pageOlder());

  let nextCursor = null;
  function pageOlder() {
    if (!nextCursor) return;
    ctx.navigate(urlFor(view, { ...params, cursor: nextCursor }), { state: { stack: [...stack, params.cursor || ''] } });
  }
  function pageNewer() {
    if (!params.cursor) return;
    const s = stack.slice(0, -1);
    const prev = stack.length ? stack[stack.length - 1] : '';
    ctx.navigate(urlFor(view, { ...params, cursor: prev || undefined }), { state: { stack: s } });
  }

  // --- loading ---------------------------------------------------------------
  async function load() {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    tableWrap.classList.add('loading');
    setText(message, '');
    message.className = 'message';
    try {
      const query = { limit: PAGE_SIZE, cursor: params.cursor };
      for (const k of view === 'sessions' ? SESSION_FILTERS : TX_FILTERS) query[k] = params[k];
      const path = view === 'sessions' ? '/admin/sessions' : '/admin/transactions';
      const page = await getJson(path, query, { signal: mine.signal });
      if (mine !== controller) return;
      nextCursor = page.next_cursor || null;
      if (view === 'sessions') renderSessions(page.sessions || []);
      else renderTransactions(page.transactions || []);
    } catch (err) {
      if (mine !== controller || mine.signal.aborted || err.name === 'AbortError') return;
      if (err instanceof AuthError) {
        ctx.requireLogin(err.message);
        return;
      }
      nextCursor = null;
      if (view === 'sessions') reconcile(sessionsBody, [], (s) => s.session_id, () => h('tr'), () => {});
      else reconcile(tbody, [], (t) => t.id, createRow, () => {});
      message.className = 'message error';
      if (err instanceof ApiError && err.status === 404 && view === 'sessions') {
        setText(message, 'This gateway does not list sessions (GET /admin/sessions is missing).');
      } else {
        setText(message, err.message || String(err));
      }
    } finally {
      if (mine === controller) {
        tableWrap.classList.remove('loading');
        updatePager();
      }
    }
  }

  function updatePager() {
    newer.disabled = !params.cursor;
    older.disabled = !nextCursor;
    const n = params.cursor ? stack.length + 1 : 1;
    setText(pageLabel, `Page ${n}`);
  }

  function renderTransactions(items) {
    reconcile(tbody, items.map((t) => ({ ...t, state: 'finished' })), (t) => t.id, () => createRow(),
      (tr, t) => updateRow(tr, t, { sessionLink, callerLink }));
    navTx.refresh();
    navTx.restore();
    if (!items.length) {
      setText(message, Object.keys(params).some((k) => k !== 'cursor') ? 'No transactions match.' : 'No transactions recorded yet.');
    }
  }

  function renderSessions(items) {
    reconcile(sessionsBody, items, (s) => s.session_id, () => {
      const tr = h('tr.session-row', { tabindex: '-1' });
      for (const c of ['last', 'session', 'count', 'tokens', 'models', 'actions', 'errors', 'first']) tr.appendChild(h(`td.s-${c}`));
      return tr;
    }, (tr, s) => {
      const c = tr.children;
      setText(c[0], formatTime(s.last_at_us));
      if (!c[1].firstChild) c[1].appendChild(h('a', { href: sessionLink(s.session_id) }));
      setText(c[1].firstChild, shorten(s.session_id, 48));
      c[1].firstChild.title = s.session_id;
      setText(c[2], formatCount(s.transactions));
      setText(c[3], `${formatCount(s.input_tokens || 0)} → ${formatCount(s.output_tokens || 0)}`);
      setText(c[4], (s.models || []).join(', '));
      c[4].title = (s.models || []).join(', ');
      // Transactions in which a policy acted ("acted"; "actions" in the first draft of the API).
      const acted = s.acted ?? s.actions ?? 0;
      setText(c[5], acted ? formatCount(acted) : '—');
      c[5].classList.toggle('hot', acted > 0);
      setText(c[6], s.errors ? formatCount(s.errors) : '—');
      c[6].classList.toggle('hot', s.errors > 0);
      setText(c[7], `${formatTime(s.first_at_us)}${s.last_at_us && s.first_at_us ? ` · ${formatDuration(s.last_at_us - s.first_at_us)}` : ''}`);
    });
    navSessions.refresh();
    navSessions.restore();
    if (!items.length) setText(message, params.q ? 'No sessions match.' : 'No sessions recorded yet.');
  }

  fillInputs();
  load();

  return {
    unmount() {
      controller?.abort();
      typed.cancel();
    },
    update(query, state) {
      view = query.get('view') === 'sessions' ? 'sessions' : 'transactions';
      params = readParams(query);
      stack = Array.isArray(state?.stack) ? state.stack : [];
      // Keep what the user is typing in the field that has focus.
      const focused = document.activeElement;
      const keep = focused && [search, model, status, action, session, caller].includes(focused) ? focused.value : null;
      fillInputs();
      if (keep !== null) focused.value = keep;
      load();
    },
    onKey(e) {
      if (e.key === ']' || e.key === 'ArrowRight') {
        pageOlder();
        return true;
      }
      if (e.key === '[' || e.key === 'ArrowLeft') {
        pageNewer();
        return true;
      }
      return nav().key(e);
    },
  };
}
