// Policy event cards: what a policy did, with the judge's probability and
// explanation made prominent and every other detail listed as key: value.

import { h, formatTime, actionKind, shorten, tryParseJson } from './dom.js';

const SPECIAL = new Set(['tool', 'id', 'arguments', 'probability', 'explanation', 'reason', 'blocked']);
// Left out of the live feed's small cards (the transaction page shows them).
const COMPACT_HIDDEN = new Set(['text', 'rewritten', 'judge_latency_ms', 'cached', 'scope']);

function detailValue(value) {
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function argumentsText(args) {
  const parsed = tryParseJson(args);
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const values = Object.values(parsed);
    // A single-command tool (Bash) reads best as just the command.
    if (values.length === 1 && typeof values[0] === 'string') return values[0];
    return JSON.stringify(parsed);
  }
  return typeof args === 'string' ? args : JSON.stringify(args);
}

/**
 * A card for one policy event {policy, action, at_us, detail, transaction_id?}.
 * compact: fewer details (the live feed); link: show a link to the transaction.
 */
export function eventCard(ev, { link = false, compact = false } = {}) {
  const d = ev.detail && typeof ev.detail === 'object' ? ev.detail : {};
  const kind = actionKind(ev.action);
  const head = h('div.ev-head',
    h(`span.ev-action.${kind}`, String(ev.action || '').replace(/_/g, ' ')),
    h('span.ev-time', formatTime(ev.at_us)),
    h('span.ev-policy', ev.policy || ''));
  const body = [];
  const shown = new Set();
  // What the text policies did, in words.
  if (ev.action === 'replaced_text' && typeof d.count === 'number') {
    body.push(h('p.ev-explanation', `${d.count} replacement${d.count === 1 ? '' : 's'} in content block ${d.index ?? '?'}`));
    shown.add('count').add('index');
  } else if (ev.action === 'blocked_content' && d.pattern !== undefined) {
    body.push(h('p.ev-explanation', 'Text matched ', h('code', String(d.pattern)), ` in content block ${d.index ?? '?'}; the rest of the block was cut`));
    shown.add('pattern').add('index');
  }
  if (d.tool) {
    body.push(h('div.ev-tool', h('strong.mono', d.tool),
      d.arguments !== undefined ? h('code.ev-args', { title: detailValue(d.arguments) }, shorten(argumentsText(d.arguments), compact ? 120 : 400)) : null));
  }
  if (typeof d.probability === 'number') {
    const pct = Math.max(0, Math.min(1, d.probability));
    const bar = h('span.prob-bar', h('span.prob-fill'));
    bar.firstChild.style.width = `${(pct * 100).toFixed(0)}%`;
    body.push(h('div.ev-prob', h('span.muted', 'probability '), h('strong.num', d.probability.toFixed(2)), bar));
  }
  if (d.explanation) body.push(h('p.ev-explanation', d.explanation));
  if (d.reason) body.push(h('p.ev-explanation', d.reason));
  if (d.error) body.push(h('p.ev-error', `judge error: ${d.error}`));
  const rest = Object.entries(d).filter(([k]) => !SPECIAL.has(k) && !shown.has(k) && k !== 'error' && !(compact && COMPACT_HIDDEN.has(k)));
  if (rest.length) {
    body.push(h('dl.ev-details', rest.map(([k, v]) => [h('dt', k), h('dd', shorten(detailValue(v), compact ? 160 : 2000))])));
  }
  if (link && ev.transaction_id) {
    body.push(h('a.ev-link.mono', { href: `/ui/transactions/${encodeURIComponent(ev.transaction_id)}` }, ev.transaction_id));
  }
  return h(`article.ev-card.${kind}`, { dataset: { policy: ev.policy || '', action: ev.action || '' } }, head, body);
}
