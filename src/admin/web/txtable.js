// The transaction table shared by live activity and history: fixed columns
// and row heights, cells updated in place (a streaming row never changes the
// layout around it).

import { h, setText, replace, formatTime, formatDuration, formatCount, formatBytes, shorten, statusBadge, actionSummary } from './dom.js';

export const COLUMNS = [
  ['time', 'Time', 'When it started'],
  ['status', 'Status', 'HTTP status sent to the client'],
  ['model', 'Model', 'Model asked for (→ the one sent upstream); ⇣ = streamed'],
  ['caller', 'Caller', 'Hash of the caller\'s key'],
  ['session', 'Session', 'Session id'],
  ['tokens', 'Tokens', 'Input → output tokens; bytes so far while streaming'],
  ['duration', 'Duration', 'Total time'],
  ['policy', 'Policy', 'What the policies did'],
];

export function tableHead() {
  return h('thead', h('tr', COLUMNS.map(([key, label, title]) => h(`th.c-${key}`, { scope: 'col', title }, label))));
}

export function colgroup() {
  return h('colgroup', COLUMNS.map(([key]) => h(`col.c-${key}`)));
}

/** A row for transaction `t` (a summary, or a live entry). */
export function createRow() {
  const tr = h('tr.tx-row', { tabindex: '-1' });
  for (const [key] of COLUMNS) tr.appendChild(h(`td.c-${key}`));
  return tr;
}

/** Fills the row's cells from `t`; `nowUs` (server clock) for running rows' elapsed time. */
export function updateRow(tr, t, { nowUs, sessionLink, callerLink } = {}) {
  const cells = tr.children;
  const running = t.state === 'running';
  const signature = [t.state, t.status, t.outcome, (t.policy_actions || []).join(' '), t.error].join('|');
  tr.classList.toggle('running', running);
  const blocked = (t.policy_actions || []).some((a) => a.includes('blocked'));
  tr.classList.toggle('has-block', blocked);
  tr.classList.toggle('has-action', !blocked && (t.policy_actions || []).length > 0);
  tr.classList.toggle('is-error', (t.status >= 400 || t.outcome === 'error') && !running);

  const link = `/ui/transactions/${encodeURIComponent(t.id)}`;
  if (!cells[0].firstChild) {
    cells[0].appendChild(h('a.rowlink', { href: link, title: t.id }, ''));
  }
  setText(cells[0].firstChild, formatTime(t.started_at_us));

  if (tr.dataset.sig !== signature) {
    tr.dataset.sig = signature;
    replace(cells[1], statusBadge(t));
    replace(cells[7], actionSummary(t.policy_actions));
    cells[7].title = (t.policy_actions || []).join('\n');
  }
  const model = t.upstream_model && t.upstream_model !== t.model ? `${t.model} → ${t.upstream_model}` : t.model || '';
  setText(cells[2], model);
  cells[2].title = [model, t.provider, t.endpoint, t.stream ? 'stream' : ''].filter(Boolean).join(' · ');
  cells[2].classList.toggle('streamed', !!t.stream);

  if (callerLink && t.caller) {
    if (cells[3].dataset.caller !== t.caller) {
      cells[3].dataset.caller = t.caller;
      replace(cells[3], h('a.callerlink', { href: callerLink(t.caller) }, t.caller));
    }
  } else {
    setText(cells[3], t.caller || '—');
  }
  cells[3].title = t.caller ? `Caller ${t.caller} (a hash of its key)` : 'no key';
  if (sessionLink && t.session_id) {
    if (!cells[4].firstChild || cells[4].firstChild.nodeName !== 'A' || cells[4].dataset.session !== t.session_id) {
      cells[4].dataset.session = t.session_id;
      replace(cells[4], h('a.sessionlink', { href: sessionLink(t.session_id), title: `Only session ${t.session_id}` }, shorten(t.session_id, 22)));
    }
  } else {
    setText(cells[4], t.session_id ? shorten(t.session_id, 22) : '—');
  }
  cells[4].title = t.session_id || '';

  if (running) {
    const bytes = t.progress ? formatBytes(t.progress.output_bytes) : '…';
    setText(cells[5], `streaming ${bytes}`);
  } else if (t.state === 'interrupted') {
    setText(cells[5], '—');
  } else {
    const cache = (t.cache_read_tokens || 0) + (t.cache_creation_tokens || 0);
    setText(cells[5], `${formatCount(t.input_tokens || 0)} → ${formatCount(t.output_tokens || 0)}`);
    cells[5].title = cache ? `cache read ${t.cache_read_tokens || 0}, cache write ${t.cache_creation_tokens || 0}` : '';
  }
  setText(cells[6], running ? formatDuration(elapsedUs(t, nowUs)) : formatDuration(t.duration_us));
}

/** How long a running transaction has been going, in µs. */
export function elapsedUs(t, nowUs) {
  if (t.progress && typeof t.progress.elapsed_us === 'number') {
    return t.progress.elapsed_us + (Date.now() - t.progress.local_ms) * 1000;
  }
  if (!nowUs || !t.started_at_us) return 0;
  return Math.max(0, nowUs - t.started_at_us);
}
