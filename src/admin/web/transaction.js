// One transaction: its facts, the policy events, and tabs for the
// conversation, the diff of original vs delivered, the raw bytes, the JSON
// record and the request headers. "Copy as curl" rebuilds the request.

import { ApiError, AuthError, getJson } from './api.js';
import {
  h, replace, setText, formatDateTime, formatDuration, formatCount, formatBytes, prettyJson,
  statusBadge, actionChips, copyText, toast,
} from './dom.js';
import { live } from './live.js';
import { renderConversation } from './conversation.js';
import { renderDiff } from './diffview.js';
import { eventCard } from './events.js';
import { curlCommand } from './curl.js';

const TABS = [
  ['conversation', 'Conversation'],
  ['diff', 'Diff'],
  ['raw', 'Raw bytes'],
  ['json', 'JSON'],
  ['headers', 'Headers'],
];
const RAW_SHOWN = 1024 * 1024;

function rawView(text, label) {
  if (text === null || text === undefined || text === '') return h('p.muted', `No ${label} recorded.`);
  const s = String(text);
  const pre = h('pre.raw', s.length > RAW_SHOWN ? `${s.slice(0, RAW_SHOWN)}\n…` : s);
  const parts = [h('div.raw-meta.muted', `${label} · ${formatBytes(s.length)}`), pre];
  if (s.length > RAW_SHOWN) {
    const more = h('button.link', { type: 'button' }, `Show all ${formatBytes(s.length)}`);
    more.addEventListener('click', () => {
      pre.textContent = s;
      more.remove();
    });
    parts.push(more);
  }
  return parts;
}

export function mount(root, ctx) {
  const id = ctx.params[0];
  let tab = TABS.some(([t]) => t === ctx.query.get('tab')) ? ctx.query.get('tab') : 'conversation';
  let rawWhich = ctx.query.get('raw') === 'egress' ? 'egress' : 'ingress';
  let detail = null;
  let controller = null;
  let unsubscribe = null;
  let curlPanel = null;

  const body = h('div.tab-body');
  const tabButtons = TABS.map(([t, label], i) => {
    const href = `/ui/transactions/${encodeURIComponent(id)}?tab=${t}`;
    const a = h('a.tab', { href, dataset: { tab: t }, title: `${label} (${i + 1})` }, label);
    // Tabs replace the history entry: "back" still leads to the list.
    a.addEventListener('click', (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      ctx.navigate(href, { replace: true });
    });
    return a;
  });
  const tabs = h('nav.tabs.tx-tabs', { 'aria-label': 'Transaction views' }, tabButtons);
  const head = h('div.tx-head');
  const facts = h('div.facts-host');
  const events = h('div.tx-events');
  const page = h('div.page.transaction', head, facts, events, tabs, body);
  replace(root, page);
  ctx.setTitle(id);

  // Where "back" goes: the list this page was opened from, else history.
  const from = typeof window.history.state?.from === 'string' ? window.history.state.from : '';
  const fromList = /^\/ui\/(activity|history)/.test(from);
  function back() {
    if (fromList) window.history.back();
    else ctx.navigate('/ui/history');
  }

  function renderHead() {
    const t = detail || live.byId.get(id) || { id };
    const curlButton = h('button', { type: 'button', title: 'Copy as curl (c)', disabled: !detail?.request?.original }, 'Copy as curl');
    curlButton.addEventListener('click', () => copyCurl());
    const jsonButton = h('a.button', { href: `/ui/transactions/${encodeURIComponent(id)}?tab=json` }, 'Raw JSON');
    const backLink = h('a.back', { href: fromList ? from : '/ui/history', title: 'Back (Backspace)' },
      from.startsWith('/ui/activity') ? '← Activity' : '← History');
    backLink.addEventListener('click', (e) => {
      e.preventDefault();
      back();
    });
    replace(head,
      h('div.tx-title', backLink,
        h('h1.mono', id),
        statusBadge(t),
        h('span.chips', actionChips(t.policy_actions))),
      h('div.tx-actions', curlButton, jsonButton));
  }

  function renderFacts() {
    const t = detail || live.byId.get(id);
    if (!t) {
      replace(facts);
      return;
    }
    const rows = [];
    const add = (label, value, cls) => {
      if (value === undefined || value === null || value === '') return;
      rows.push(h('div.fact', h('dt', label), h(`dd${cls ? `.${cls}` : ''}`, value)));
    };
    add('Model', t.upstream_model && t.upstream_model !== t.model ? `${t.model} → ${t.upstream_model}` : t.model);
    add('Provider', [t.provider, t.dialect && `client speaks ${t.dialect}`].filter(Boolean).join(' · '));
    add('Endpoint', `${t.endpoint || ''}${t.stream ? ' · stream' : ''}`, 'mono');
    add('Started', formatDateTime(t.started_at_us), 'num');
    add('Duration', t.state === 'running' ? 'running…' : formatDuration(t.duration_us), 'num');
    if (t.upstream_first_byte_us || t.client_first_byte_us) {
      add('First byte', `upstream ${formatDuration(t.upstream_first_byte_us)} · client ${formatDuration(t.client_first_byte_us)}`, 'num');
    }
    if (t.state !== 'running') {
      const cache = [t.cache_read_tokens ? `cache read ${formatCount(t.cache_read_tokens)}` : '', t.cache_creation_tokens ? `cache write ${formatCount(t.cache_creation_tokens)}` : ''].filter(Boolean).join(' · ');
      add('Tokens', `${formatCount(t.input_tokens || 0)} in → ${formatCount(t.output_tokens || 0)} out${cache ? ` · ${cache}` : ''}`, 'num');
    }
    add('Outcome', [t.outcome, t.status].filter(Boolean).join(' · '));
    add('Caller', t.caller || '—', 'mono');
    if (t.session_id) {
      rows.push(h('div.fact', h('dt', 'Session'), h('dd.mono', h('a', { href: `/ui/history?session=${encodeURIComponent(t.session_id)}` }, t.session_id))));
    }
    add('Trace', t.trace_id, 'mono');
    if (t.error) rows.push(h('div.fact.wide', h('dt', 'Error'), h('dd.error-text', t.error)));
    replace(facts, h('dl.facts', rows));
  }

  function renderEvents() {
    const list = detail ? detail.policy_events || [] : live.byId.get(id)?.events || [];
    if (!list.length) {
      replace(events);
      return;
    }
    replace(events, h('h2', `Policy events · ${list.length}`), h('div.ev-row', list.map((ev) => eventCard(ev))));
  }

  function renderTabs() {
    for (const a of tabButtons) {
      const on = a.dataset.tab === tab;
      a.classList.toggle('active', on);
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  function renderBody() {
    renderTabs();
    // The diff places each event beside its block: no need for the list above it.
    events.hidden = tab === 'diff';
    if (!detail) return;
    switch (tab) {
      case 'conversation':
        replace(body, h('div.conversation', renderConversation(detail, { diffHref: `/ui/transactions/${encodeURIComponent(id)}?tab=diff` })));
        break;
      case 'diff':
        replace(body, h('div.diff-view', renderDiff(detail)));
        break;
      case 'raw': {
        const ingress = h('a.subtab', { href: `/ui/transactions/${encodeURIComponent(id)}?tab=raw&raw=ingress` }, 'From upstream');
        const egress = h('a.subtab', { href: `/ui/transactions/${encodeURIComponent(id)}?tab=raw&raw=egress` }, 'To client');
        ingress.classList.toggle('active', rawWhich === 'ingress');
        egress.classList.toggle('active', rawWhich === 'egress');
        for (const [a, which] of [[ingress, 'ingress'], [egress, 'egress']]) {
          a.addEventListener('click', (e) => {
            e.preventDefault();
            ctx.navigate(`/ui/transactions/${encodeURIComponent(id)}?tab=raw&raw=${which}`, { replace: true });
          });
        }
        replace(body, h('div.raw-view', h('nav.subtabs', ingress, egress),
          rawWhich === 'ingress' ? rawView(detail.ingress, 'bytes from the upstream') : rawView(detail.egress, 'bytes sent to the client')));
        break;
      }
      case 'json':
        replace(body, h('pre.raw.json', prettyJson(detail)));
        break;
      case 'headers': {
        const headers = detail.request_headers && typeof detail.request_headers === 'object' ? Object.entries(detail.request_headers) : [];
        replace(body, headers.length
          ? h('table.headers-table', h('thead', h('tr', h('th', 'Request header'), h('th', 'Value'))),
            h('tbody', headers.map(([k, v]) => h('tr', h('td.mono', k), h('td.mono', String(v))))))
          : h('p.muted', 'No request headers recorded.'));
        break;
      }
      default:
        break;
    }
  }

  function renderAll() {
    renderHead();
    renderFacts();
    renderEvents();
    renderBody();
  }

  async function copyCurl() {
    if (!detail?.request?.original) return;
    const command = curlCommand(detail, location.origin);
    if (!curlPanel) {
      const area = h('textarea.curl', { readonly: true, rows: 10, spellcheck: 'false', 'aria-label': 'curl command' });
      const close = h('button.link', { type: 'button' }, 'Close');
      const again = h('button', { type: 'button' }, 'Copy');
      curlPanel = h('div.curl-panel', h('div.curl-head', h('strong', 'curl'), h('span.muted', 'the original request; credentials are placeholders'), h('div.spacer'), again, close), area);
      close.addEventListener('click', () => {
        curlPanel.remove();
        curlPanel = null;
      });
      again.addEventListener('click', async () => {
        const ok = await copyText(area.value, area);
        toast(ok ? 'Copied the curl command' : 'Copy failed: select the text and copy it', ok ? 'ok' : 'err');
      });
      head.after(curlPanel);
    }
    const area = curlPanel.querySelector('textarea');
    area.value = command;
    const ok = await copyText(command, area);
    toast(ok ? 'Copied the curl command' : 'Select the text and copy it', ok ? 'ok' : 'info');
  }

  async function load() {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    body.classList.add('loading');
    try {
      detail = await getJson(`/admin/transactions/${encodeURIComponent(id)}`, {}, { signal: mine.signal });
      if (mine !== controller) return;
      renderAll();
    } catch (err) {
      if (mine !== controller || mine.signal.aborted || err.name === 'AbortError') return;
      if (err instanceof AuthError) {
        ctx.requireLogin(err.message);
        return;
      }
      renderAll();
      if (err instanceof ApiError && err.status === 404) {
        const running = live.byId.get(id);
        replace(body, h('div.message', running && running.state === 'running'
          ? 'This transaction is still running; the page fills in when it is recorded.'
          : 'No transaction with this id is recorded (yet). The page refreshes when it is.'));
      } else {
        replace(body, h('div.message.error', err.message || String(err)));
      }
    } finally {
      if (mine === controller) body.classList.remove('loading');
    }
  }

  // A transaction that finishes while we look (or was not recorded yet) reloads.
  unsubscribe = live.subscribe((change) => {
    if (!change.ids?.has(id)) return;
    const entry = live.byId.get(id);
    if (!detail && entry) {
      renderHead();
      renderFacts();
      renderEvents();
    }
    if (entry && entry.state === 'finished' && (!detail || detail.outcome === undefined)) load();
  });

  renderAll();
  load();

  return {
    unmount() {
      controller?.abort();
      unsubscribe?.();
    },
    update(query) {
      tab = TABS.some(([t]) => t === query.get('tab')) ? query.get('tab') : 'conversation';
      rawWhich = query.get('raw') === 'egress' ? 'egress' : 'ingress';
      renderBody();
    },
    onKey(e) {
      const n = Number(e.key);
      if (n >= 1 && n <= TABS.length) {
        ctx.navigate(`/ui/transactions/${encodeURIComponent(id)}?tab=${TABS[n - 1][0]}`, { replace: true });
        return true;
      }
      if (e.key === 'c') {
        copyCurl();
        return true;
      }
      if (e.key === 'Backspace') {
        back();
        return true;
      }
      return false;
    },
  };
}
