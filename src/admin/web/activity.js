// Live activity: transactions as they start, stream and finish; the policy
// events beside them. Filters by session, model and policy action; pause
// holds the view still while events keep arriving.

import { h, replace, setText, debounce } from './dom.js';
import { live } from './live.js';
import { ListNav, reconcile } from './listnav.js';
import { tableHead, colgroup, createRow, updateRow } from './txtable.js';
import { eventCard } from './events.js';

const MAX_ROWS = 500;
const MAX_CARDS = 100;

const ACTION_FILTERS = [
  ['', 'All transactions'],
  ['any', 'With a policy action'],
  ['blocked', 'Blocked anything'],
  ['rewrite', 'Rewrote text'],
  ['judged', 'Judged by a model'],
];

function matchesAction(filter, actions) {
  if (!filter) return true;
  const list = actions || [];
  switch (filter) {
    case 'any':
      return list.length > 0;
    case 'blocked':
      return list.some((a) => a.includes('blocked'));
    case 'rewrite':
      return list.some((a) => /replaced|rewrote/.test(a));
    case 'judged':
      return list.some((a) => a.startsWith('tool_call_judge:') || a.startsWith('llm_rules:'));
    default:
      return list.includes(filter) || list.some((a) => a.split(':')[1] === filter);
  }
}

export function mount(root, ctx) {
  const filters = {
    session: ctx.query.get('session') || '',
    model: ctx.query.get('model') || '',
    action: ctx.query.get('action') || '',
  };
  let paused = false;
  let waiting = 0;

  const sessionInput = h('input.f-session', { type: 'search', placeholder: 'Session', value: filters.session, list: 'activity-sessions', 'aria-label': 'Filter by session', 'data-search': '' });
  const sessionList = h('datalist#activity-sessions');
  const modelSelect = h('select.f-model', { 'aria-label': 'Filter by model' });
  const actionSelect = h('select.f-action', { 'aria-label': 'Filter by policy action' });
  const pauseButton = h('button.pause', { type: 'button', title: 'Pause / resume (p)' }, 'Pause');
  const counts = h('span.counts.muted');
  const tbody = h('tbody');
  const table = h('table.tx-table', colgroup(), tableHead(), tbody);
  const empty = h('div.empty',
    h('p', h('strong', 'Waiting for traffic.')),
    h('p.muted', 'Requests through this gateway appear here as they start. Point a client at it, e.g. ',
      h('code', `ANTHROPIC_BASE_URL=${location.origin} claude`)));
  const tableWrap = h('div.table-wrap', table, empty);
  const cards = h('div.ev-list');
  const cardsEmpty = h('p.muted.ev-empty', 'No policy events yet. Blocked tool calls, rewrites and judge verdicts show up here.');

  replace(root, h('div.page.activity',
    h('div.toolbar',
      h('h1', 'Live activity'),
      h('div.filters', sessionInput, sessionList, modelSelect, actionSelect),
      h('div.spacer'),
      counts,
      pauseButton),
    h('div.activity-grid',
      tableWrap,
      h('aside.ev-panel', { 'aria-label': 'Policy events' }, h('h2', 'Policy events'), cardsEmpty, cards))));

  const nav = new ListNav(tbody, {
    onOpen: (row) => ctx.navigate(`/ui/transactions/${encodeURIComponent(row.dataset.id)}`),
    selectedId: ctx.state?.selected ?? null,
  });
  tbody.addEventListener('click', (e) => {
    const row = e.target.closest('tr[data-id]');
    if (!row) return;
    nav.select(row, { scroll: false });
    nav.remember();
    if (e.target.closest('a')) return; // the link navigates itself
    ctx.navigate(`/ui/transactions/${encodeURIComponent(row.dataset.id)}`);
  });

  const sessionLink = (session) => {
    const q = new URLSearchParams(location.search);
    q.set('session', session);
    return `/ui/activity?${q}`;
  };

  function syncUrl() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    const qs = q.toString();
    window.history.replaceState(window.history.state, '', qs ? `/ui/activity?${qs}` : '/ui/activity');
  }

  function fillSelect(select, options, value) {
    const sig = options.map(([v]) => v).join('\n') + `\n${value}`;
    if (select.dataset.sig === sig) return;
    select.dataset.sig = sig;
    replace(select, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
    select.value = value;
  }

  function refreshChoices(entries) {
    const models = new Set();
    const sessions = new Set();
    const words = new Set();
    for (const t of entries) {
      if (t.model) models.add(t.model);
      if (t.session_id) sessions.add(t.session_id);
      for (const a of t.policy_actions || []) words.add(a);
    }
    if (filters.model) models.add(filters.model);
    fillSelect(modelSelect, [['', 'All models'], ...[...models].sort().map((m) => [m, m])], filters.model);
    const actionOptions = [...ACTION_FILTERS, ...[...words].sort().map((w) => [w, w])];
    if (filters.action && !actionOptions.some(([v]) => v === filters.action)) actionOptions.push([filters.action, filters.action]);
    fillSelect(actionSelect, actionOptions, filters.action);
    const sessionSig = [...sessions].join('\n');
    if (sessionList.dataset.sig !== sessionSig) {
      sessionList.dataset.sig = sessionSig;
      replace(sessionList, [...sessions].slice(0, 200).map((s) => h('option', { value: s })));
    }
  }

  function visible(t) {
    if (filters.session && !(t.session_id || '').toLowerCase().includes(filters.session.toLowerCase())) return false;
    if (filters.model && t.model !== filters.model) return false;
    if (!matchesAction(filters.action, t.policy_actions)) return false;
    return true;
  }

  function eventVisible(ev) {
    if (filters.session && !(ev.session_id || '').toLowerCase().includes(filters.session.toLowerCase())) return false;
    if (filters.model && ev.model !== filters.model) return false;
    if (filters.action && !matchesAction(filters.action, [`${ev.policy}:${ev.action}`])) return false;
    return true;
  }

  function renderRows() {
    const all = live.list();
    refreshChoices(all);
    const shown = all.filter(visible).slice(0, MAX_ROWS);
    const nowUs = live.serverNowUs();
    reconcile(tbody, shown, (t) => t.id, () => createRow(), (tr, t) => updateRow(tr, t, { nowUs, sessionLink }));
    nav.refresh();
    nav.restore();
    empty.hidden = shown.length > 0;
    table.classList.toggle('is-empty', shown.length === 0);
    const running = all.filter((t) => t.state === 'running').length;
    const filtered = Object.values(filters).some(Boolean);
    setText(counts, `${shown.length}${filtered ? ` of ${all.length}` : ''} shown · ${running} running`);
  }

  let cardSig = '';
  function renderCards() {
    const evs = live.events.filter(eventVisible).slice(-MAX_CARDS).reverse();
    const sig = evs.map((e) => `${e.transaction_id}|${e.at_us}|${e.action}`).join(',');
    if (sig === cardSig) return;
    cardSig = sig;
    // Keyed by transaction, time and action: existing cards stay put.
    reconcile(cards, evs, (e) => `${e.transaction_id}|${e.at_us}|${e.policy}|${e.action}`,
      (e) => eventCard(e, { link: true, compact: true }), () => {});
    cardsEmpty.hidden = evs.length > 0;
  }

  function renderAll() {
    renderRows();
    renderCards();
  }

  function setPaused(on) {
    paused = on;
    waiting = 0;
    root.firstChild.classList.toggle('paused', paused);
    setText(pauseButton, paused ? 'Resume' : 'Pause');
    pauseButton.classList.toggle('active', paused);
    pauseButton.setAttribute('aria-pressed', String(paused));
    if (!paused) renderAll();
  }

  pauseButton.addEventListener('click', () => setPaused(!paused));

  const unsubscribe = live.subscribe((change) => {
    if (change.connection) return;
    if (paused) {
      waiting += change.ids ? change.ids.size : 1;
      setText(pauseButton, `Resume (${waiting} new)`);
      return;
    }
    renderRows();
    if (change.events || change.ids?.size) renderCards();
  });

  // Running rows' durations tick without any event.
  const ticker = setInterval(() => {
    if (paused) return;
    const nowUs = live.serverNowUs();
    for (const row of tbody.querySelectorAll('tr.running')) {
      const t = live.byId.get(row.dataset.id);
      if (t) updateRow(row, t, { nowUs, sessionLink });
    }
  }, 250);

  const applyFilters = () => {
    syncUrl();
    cardSig = '';
    renderAll();
  };
  const applySession = debounce(() => {
    filters.session = sessionInput.value.trim();
    applyFilters();
  }, 150);
  sessionInput.addEventListener('input', applySession);
  modelSelect.addEventListener('change', () => {
    filters.model = modelSelect.value;
    applyFilters();
  });
  actionSelect.addEventListener('change', () => {
    filters.action = actionSelect.value;
    applyFilters();
  });

  renderAll();

  return {
    unmount() {
      unsubscribe();
      clearInterval(ticker);
      applySession.cancel();
    },
    update(query) {
      filters.session = query.get('session') || '';
      filters.model = query.get('model') || '';
      filters.action = query.get('action') || '';
      sessionInput.value = filters.session;
      applyFilters();
    },
    onKey(e) {
      if (e.key === 'p') {
        setPaused(!paused);
        return true;
      }
      return nav.key(e);
    },
  };
}
