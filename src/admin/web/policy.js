// The policy view: the active chain in order with each policy's options, and
// how often each acted in the last hour and day (links to those transactions).

import { AuthError, getJson } from './api.js';
import { h, replace, setText, formatCount, jsonTree, actionKind, debounce } from './dom.js';
import { live } from './live.js';

const REFRESH_MS = 30_000;

function members(policy) {
  if (typeof policy === 'string') return [{ type: policy }];
  if (!policy || typeof policy !== 'object') return [];
  if (policy.type === 'chain') return Array.isArray(policy.policies) ? policy.policies : [];
  return [policy];
}

function historyLink(word, sinceMs) {
  const q = new URLSearchParams({ action: word });
  if (sinceMs) q.set('from', String(sinceMs));
  return `/ui/history?${q}`;
}

export function mount(root, ctx) {
  const updated = h('span.muted.updated');
  const refresh = h('button', { type: 'button', title: 'Refresh' }, 'Refresh');
  const content = h('div.policy-content');
  replace(root, h('div.page.policy',
    h('div.toolbar', h('h1', 'Policy'), h('div.spacer'), updated, refresh),
    content));
  let controller = null;
  let firstLoad = true;

  async function load() {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    content.classList.add('loading');
    try {
      const data = await getJson('/admin/policy', {}, { signal: mine.signal });
      if (mine !== controller) return;
      render(data);
      setText(updated, `Updated ${new Date().toLocaleTimeString()}`);
    } catch (err) {
      if (mine !== controller || mine.signal.aborted || err.name === 'AbortError') return;
      if (err instanceof AuthError) {
        ctx.requireLogin(err.message);
        return;
      }
      replace(content, h('div.message.error', err.message || String(err)));
    } finally {
      if (mine === controller) content.classList.remove('loading');
    }
  }

  function render(data) {
    const hour = data.actions?.last_hour || {};
    const day = data.actions?.last_day || {};
    const list = members(data.policy);
    const types = list.map((p) => p.type);
    const nowMs = Date.now();
    const counts = (type) => {
      const words = new Set([...Object.keys(hour), ...Object.keys(day)].filter((w) => w.split(':')[0] === type));
      return [...words].sort();
    };
    const cards = list.map((p, i) => {
      const { type, ...options } = p;
      const words = counts(type);
      const shared = types.filter((t) => t === type).length > 1;
      const stats = words.length
        ? h('table.counts-table',
          h('thead', h('tr', h('th', 'Action'), h('th.num', 'Last hour'), h('th.num', 'Last day'))),
          h('tbody', words.map((w) => h('tr',
            h('td', h(`span.chip.${actionKind(w.split(':')[1])}`, w.split(':')[1].replace(/_/g, ' '))),
            h('td.num', h('a', { href: historyLink(w, nowMs - 3600e3) }, formatCount(hour[w] || 0))),
            h('td.num', h('a', { href: historyLink(w, nowMs - 86400e3) }, formatCount(day[w] || 0)))))))
        : h('p.muted.small', 'Has not acted in the last day.');
      return h('article.policy-card', { dataset: { type: type || '' } },
        h('div.policy-head', h('span.policy-index', String(i + 1)), h('h2.mono', type || '?'),
          h('span.muted', describe(type))),
        h('div.policy-body',
          h('div.policy-options', h('h3', 'Options'), Object.keys(options).length ? jsonTree(options) : h('p.muted.small', 'None (defaults).')),
          h('div.policy-stats', h('h3', 'Acted'), stats, shared ? h('p.muted.small', `Counts are shared by every ${type} in the chain.`) : null)));
    });
    const chainNote = data.policy?.type === 'chain' || list.length > 1
      ? h('p.muted', `A chain of ${list.length}: each policy sees what the one before it let through.`)
      : null;
    const other = Object.keys({ ...hour, ...day }).filter((w) => !types.includes(w.split(':')[0]));
    replace(content,
      chainNote,
      list.length ? h('div.chain', cards) : h('div.message', 'No policy: everything is forwarded unchanged (noop).'),
      other.length ? h('section.policy-other', h('h2', 'Other actions recorded'),
        h('table.counts-table', h('thead', h('tr', h('th', 'Action'), h('th.num', 'Last hour'), h('th.num', 'Last day'))),
          h('tbody', other.sort().map((w) => h('tr', h('td.mono', w),
            h('td.num', formatCount(hour[w] || 0)), h('td.num', formatCount(day[w] || 0))))))) : null);
    if (firstLoad) {
      firstLoad = false;
      ctx.setTitle('Policy');
    }
  }

  refresh.addEventListener('click', () => load());
  const timer = setInterval(load, REFRESH_MS);
  // Counts move when policies act: refresh shortly after a live policy event.
  const soon = debounce(load, 1500);
  const unsubscribe = live.subscribe((change) => {
    if (change.events) soon();
  });
  load();

  return {
    unmount() {
      clearInterval(timer);
      soon.cancel();
      unsubscribe();
      controller?.abort();
    },
  };
}

function describe(type) {
  return {
    noop: 'forwards everything unchanged',
    all_caps: 'upper-cases text',
    debug_logging: 'logs every hook',
    string_replacement: 'replaces text in text blocks',
    blocked_content: 'cuts text at a blocked pattern',
    tool_filter: 'blocks tool calls by name or arguments',
    tool_call_judge: 'asks a model whether each tool call is dangerous',
    llm_rules: 'asks a model to check text against rules',
  }[type] || '';
}
