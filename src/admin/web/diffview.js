// The diff tab: the request as the client sent it vs as it went upstream
// (pretty JSON, line diff), and the response as the upstream sent it vs as
// the client got it (content block by block; text blocks word by word), with
// each policy event placed beside the block it acted on.

import { h, prettyJson, tryParseJson } from './dom.js';
import { diff, lines, wordDiff, alignBlocks, jsonEqual } from './diff.js';
import { renderBlock } from './conversation.js';
import { eventCard } from './events.js';

const CONTEXT = 3;

/** A unified line diff of two texts, long unchanged runs folded. */
export function lineDiff(before, after) {
  const ops = diff(lines(before), lines(after));
  const rows = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i].op !== 'same') {
      const o = ops[i];
      rows.push(h(`div.dl.${o.op}`, h('span.dl-sign', o.op === 'del' ? '−' : '+'), h('span.dl-text', o.op === 'del' ? o.a : o.b)));
      i++;
      continue;
    }
    let j = i;
    while (j < ops.length && ops[j].op === 'same') j++;
    const run = ops.slice(i, j);
    const lead = i === 0 ? 0 : CONTEXT;
    const tail = j === ops.length ? 0 : CONTEXT;
    if (run.length > lead + tail + 2) {
      for (const o of run.slice(0, lead)) rows.push(sameLine(o.a));
      const hidden = run.slice(lead, run.length - tail);
      const fold = h('button.dl-fold', { type: 'button' }, `⋯ ${hidden.length} unchanged lines`);
      fold.addEventListener('click', () => fold.replaceWith(...hidden.map((o) => sameLine(o.a))));
      rows.push(fold);
      for (const o of run.slice(run.length - tail)) rows.push(sameLine(o.a));
    } else {
      for (const o of run) rows.push(sameLine(o.a));
    }
    i = j;
  }
  return h('div.line-diff', rows);
}

function sameLine(text) {
  return h('div.dl.same', h('span.dl-sign', ' '), h('span.dl-text', text));
}

/** Text with the removed words struck and the added ones marked. */
export function textDiff(before, after) {
  return h('div.word-diff', wordDiff(before, after).map((p) => {
    if (p.op === 'del') return h('del', { title: 'removed' }, p.text);
    if (p.op === 'ins') return h('ins', { title: 'added' }, p.text);
    return p.text;
  }));
}

// --- placing policy events -----------------------------------------------------

function blockHasTool(block, d) {
  if (!block || (block.type !== 'tool_use' && block.type !== 'server_tool_use')) return false;
  if (d.id) return block.id === d.id;
  return block.name === d.tool;
}

/** For each event, the index of the aligned item it concerns, or -1 (the whole response). */
function placeEvents(events, aligned) {
  return events.map((ev) => {
    const d = ev.detail && typeof ev.detail === 'object' ? ev.detail : {};
    if (d.id || d.tool) {
      const byId = aligned.findIndex((x) => blockHasTool(x.before, d) || blockHasTool(x.after, d));
      if (byId >= 0) return byId;
      if (d.id) {
        const byName = aligned.findIndex((x) => blockHasTool(x.before, { tool: d.tool }) && x.kind !== 'same');
        if (byName >= 0) return byName;
      }
    }
    if (typeof d.index === 'number') {
      const changed = aligned.findIndex((x) => x.beforeIndex === d.index && x.kind !== 'same');
      if (changed >= 0) return changed;
      const after = aligned.findIndex((x) => x.afterIndex === d.index && x.kind !== 'same');
      if (after >= 0) return after;
      const any = aligned.findIndex((x) => x.beforeIndex === d.index);
      if (any >= 0) return any;
    }
    if (typeof d.text === 'string' && d.text.trim()) {
      const probe = d.text.replace(/…$/, '').slice(0, 60);
      const at = aligned.findIndex((x) => x.before?.type === 'text' && String(x.before.text).includes(probe));
      if (at >= 0) return at;
    }
    return -1;
  });
}

// --- the response ------------------------------------------------------------

function blockLabel(block) {
  if (!block) return '';
  if (block.type === 'tool_use') return `tool call ${block.name || ''}`;
  return block.type || 'block';
}

function alignedItem(item) {
  const kindLabel = { same: 'unchanged', changed: 'changed', removed: 'removed', added: 'added' }[item.kind];
  const tag = h(`span.diff-tag.${item.kind}`, kindLabel);
  let content;
  if (item.kind === 'changed' && item.before.type === 'text') {
    content = h('div.block.text-block', h('div.block-head', tag, h('span.muted', 'text')), textDiff(item.before.text, item.after.text));
  } else if (item.kind === 'changed') {
    content = h('div.block', h('div.block-head', tag, h('span.muted', blockLabel(item.before))),
      lineDiff(prettyJson(item.before), prettyJson(item.after)));
  } else {
    const block = item.kind === 'added' ? item.after : item.before;
    content = h('div.diff-block-wrap', h('div.block-head.outside', tag, h('span.muted', blockLabel(block))), renderBlock(block));
  }
  return h(`div.diff-item.${item.kind}`, content);
}

function responseDiff(detail) {
  const original = detail.response?.original;
  const final = detail.response?.final;
  const events = Array.isArray(detail.policy_events) ? detail.policy_events : [];
  const out = [];
  if (!original && !final) {
    out.push(h('p.muted', 'No response was recorded.'));
    if (events.length) out.push(h('div.diff-events', events.map((ev) => eventCard(ev))));
    return out;
  }
  if (typeof original !== 'object' || typeof final !== 'object' || !original || !final) {
    out.push(lineDiff(typeof original === 'string' ? original : prettyJson(original), typeof final === 'string' ? final : prettyJson(final)));
    if (events.length) out.push(h('div.diff-events', events.map((ev) => eventCard(ev))));
    return out;
  }
  const aligned = alignBlocks(original.content || [], final.content || []);
  const places = placeEvents(events, aligned);
  const top = events.filter((_, i) => places[i] < 0);
  const unchanged = jsonEqual(original.content, final.content);
  if (unchanged) out.push(h('p.diff-note', 'The client got the content the upstream sent.'));
  if (original.stop_reason !== final.stop_reason) {
    out.push(h('p.diff-note', 'stop_reason ', h('del', String(original.stop_reason)), ' → ', h('ins', String(final.stop_reason))));
  }
  if (top.length) out.push(h('div.diff-events.top', top.map((ev) => eventCard(ev))));
  aligned.forEach((item, i) => {
    const mine = events.filter((_, j) => places[j] === i);
    out.push(h('div.diff-row', alignedItem(item), mine.length ? h('div.diff-events', mine.map((ev) => eventCard(ev))) : null));
  });
  // Other message fields a policy might have changed (usage aside).
  const strip = (m) => {
    const { content, stop_reason, usage, ...rest } = m;
    return rest;
  };
  if (!jsonEqual(strip(original), strip(final))) {
    out.push(h('h3', 'Other fields'), lineDiff(prettyJson(strip(original)), prettyJson(strip(final))));
  }
  return out;
}

// --- the request -------------------------------------------------------------

function requestDiff(detail) {
  const req = detail.request || {};
  if (req.original === null || req.original === undefined) return h('p.muted', 'The request was not stored.');
  if (!req.changed || jsonEqual(req.original, req.final)) {
    return [h('p.diff-note', 'Forwarded as the client sent it.'),
      h('details.json-fold', h('summary', 'Request JSON'), h('pre.json', prettyJson(tryParseJson(req.original))))];
  }
  return lineDiff(prettyJson(req.original), prettyJson(req.final));
}

export function renderDiff(detail) {
  return [
    h('section.diff-section',
      h('h2', 'Response', h('span.muted', ' · from the upstream → to the client')),
      h('div.diff-legend', h('del', 'removed'), h('ins', 'added')),
      responseDiff(detail)),
    h('section.diff-section',
      h('h2', 'Request', h('span.muted', ' · from the client → to the upstream')),
      requestDiff(detail)),
  ];
}
