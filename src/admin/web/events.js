// Policy event cards: what a policy did, with the judge's probability and
// explanation made prominent and every other detail listed as key: value.

import { h, formatTime, actionKind, shorten, tryParseJson } from './dom.js';

const SPECIAL = new Set(['tool', 'id', 'arguments', 'probability', 'explanation', 'reason', 'blocked']);

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
    h('span.ev-policy', ev.policy || ''),
    h('span.ev-time', formatTime(ev.at_us)));
  const body = [];
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
  const rest = Object.entries(d).filter(([k]) => !SPECIAL.has(k) && k !== 'error' && !(compact && (k === 'text' || k === 'rewritten')));
  if (rest.length) {
    body.push(h('dl.ev-details', rest.map(([k, v]) => [h('dt', k), h('dd', shorten(detailValue(v), compact ? 160 : 2000))])));
  }
  if (link && ev.transaction_id) {
    body.push(h('a.ev-link.mono', { href: `/ui/transactions/${encodeURIComponent(ev.transaction_id)}` }, ev.transaction_id));
  }
  return h(`article.ev-card.${kind}`, { dataset: { policy: ev.policy || '', action: ev.action || '' } }, head, body);
}
