// Renders a conversation readably: the request's system prompt and messages
// (Anthropic or OpenAI shape) and the response (always Anthropic-shaped in the
// record). Every piece of model or tool text goes in as a text node.

import { h, prettyJson, formatBytes, tryParseJson } from './dom.js';
import { jsonEqual } from './diff.js';

const LONG_TEXT = 4000;

/** A block of text: pre-wrapped, long ones folded with a "show all" button. */
export function textBody(text, cls = 'text') {
  const s = String(text ?? '');
  const el = h(`div.${cls}`);
  if (s.length <= LONG_TEXT) {
    el.textContent = s;
    return el;
  }
  el.textContent = `${s.slice(0, LONG_TEXT)}…`;
  const more = h('button.link', { type: 'button' }, `Show all (${formatBytes(s.length)})`);
  more.addEventListener('click', () => {
    el.textContent = s;
  });
  return h('div', el, more);
}

/** Tool arguments: a JSON object pretty-printed; a string that is JSON parsed first. */
function argumentsView(input) {
  const value = tryParseJson(input);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    // One-line strings read best as key: value rows; anything else as JSON.
    if (entries.length > 0 && entries.every(([, v]) => typeof v !== 'object' || v === null)) {
      return h('dl.args', entries.map(([k, v]) => [h('dt', k), h('dd', textBody(typeof v === 'string' ? v : JSON.stringify(v), 'argval'))]));
    }
  }
  return h('pre.json', typeof value === 'string' ? value : prettyJson(value));
}

function toolResultContent(content) {
  if (typeof content === 'string') return textBody(content);
  if (Array.isArray(content)) return content.map((b) => renderBlock(b));
  if (content === undefined || content === null) return h('div.muted', '(empty)');
  return h('pre.json', prettyJson(content));
}

/** One content block (Anthropic shape; OpenAI parts mapped by the callers). */
export function renderBlock(block, { annotate } = {}) {
  if (typeof block === 'string') return h('div.block.text-block', textBody(block));
  if (!block || typeof block !== 'object') return h('div.block', String(block));
  const extra = annotate ? annotate(block) : null;
  switch (block.type) {
    case 'text':
      return h('div.block.text-block', textBody(block.text), extra);
    case 'thinking':
    case 'redacted_thinking': {
      const text = block.type === 'thinking' ? block.thinking : '(redacted thinking)';
      return h('details.block.thinking', h('summary', 'Thinking', h('span.muted', ` · ${formatBytes(String(text || '').length)}`)),
        textBody(text), extra);
    }
    case 'tool_use':
    case 'server_tool_use':
      return h('div.block.tool-use', { dataset: { toolId: block.id || '' } },
        h('div.block-head', h('span.tag.tool', block.type === 'server_tool_use' ? 'server tool' : 'tool call'),
          h('strong.mono', block.name || '?'), h('span.muted.mono', block.id || '')),
        argumentsView(block.input), extra);
    case 'tool_result':
      return h(`div.block.tool-result${block.is_error ? '.error' : ''}`,
        h('div.block-head', h('span.tag.result', block.is_error ? 'tool error' : 'tool result'),
          h('span.muted.mono', block.tool_use_id || '')),
        toolResultContent(block.content), extra);
    case 'image': {
      const src = block.source || {};
      const size = src.data ? ` · ${formatBytes(Math.floor((src.data.length * 3) / 4))}` : '';
      return h('div.block.media', h('span.tag', 'image'), ` ${src.media_type || src.type || ''}${size}`, src.url ? h('span.mono', ` ${src.url}`) : null, extra);
    }
    case 'document':
      return h('div.block.media', h('span.tag', 'document'), ` ${block.title || block.source?.media_type || ''}`, extra);
    default:
      return h('div.block.other', h('div.block-head', h('span.tag', block.type || 'block')), h('pre.json', prettyJson(block)), extra);
  }
}

/** A message's content as blocks, whatever the dialect. */
export function contentBlocks(message) {
  const out = [];
  const c = message.content;
  if (typeof c === 'string') {
    if (c !== '' || !message.tool_calls) out.push({ type: 'text', text: c });
  } else if (Array.isArray(c)) {
    for (const part of c) {
      if (part && part.type === 'image_url') out.push({ type: 'image', source: { type: 'url', url: part.image_url?.url?.startsWith('data:') ? '(inline data)' : part.image_url?.url } });
      else if (part && part.type === 'input_audio') out.push({ type: 'document', title: 'audio' });
      else out.push(part);
    }
  }
  // OpenAI: an assistant's tool calls; a `tool` message is a tool result.
  for (const call of message.tool_calls || []) {
    out.push({ type: 'tool_use', id: call.id, name: call.function?.name, input: call.function?.arguments ?? '' });
  }
  if (message.role === 'tool') {
    return [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: c }];
  }
  if (message.function_call) {
    out.push({ type: 'tool_use', id: '', name: message.function_call.name, input: message.function_call.arguments });
  }
  return out;
}

const ROLE_LABEL = { user: 'User', assistant: 'Assistant', system: 'System', developer: 'Developer', tool: 'Tool' };

/** A message bubble: role, then its blocks. */
export function renderMessage(message, { label, cls = '', annotate } = {}) {
  const role = message.role || 'user';
  const blocks = contentBlocks(message);
  const hasOnlyResults = blocks.length > 0 && blocks.every((b) => b && b.type === 'tool_result');
  const roleName = label || (hasOnlyResults ? 'Tool result' : ROLE_LABEL[role] || role);
  return h(`section.msg.role-${hasOnlyResults ? 'tool' : role}${cls ? `.${cls}` : ''}`,
    h('div.msg-role', roleName),
    h('div.msg-body', blocks.length ? blocks.map((b) => renderBlock(b, { annotate })) : h('div.muted', '(no content)')));
}

/**
 * The whole conversation: system, tools offered (folded), each message, then
 * the response the client received (and what the upstream said when it differs).
 */
export function renderConversation(detail, { annotate, diffHref } = {}) {
  const req = detail.request?.original;
  const out = [];
  if (req && typeof req === 'object') {
    const system = req.system;
    if (system) {
      const blocks = typeof system === 'string' ? [{ type: 'text', text: system }] : system;
      const text = blocks.map((b) => b.text || '').join('\n\n');
      out.push(h('details.msg.role-system', { open: text.length < 600 },
        h('summary.msg-role', 'System', h('span.muted', ` · ${formatBytes(text.length)}`)),
        h('div.msg-body', blocks.map((b) => renderBlock(b)))));
    }
    if (Array.isArray(req.tools) && req.tools.length) {
      out.push(h('details.msg.role-tools',
        h('summary.msg-role', `Tools offered · ${req.tools.length}`),
        h('div.msg-body', h('ul.tool-list', req.tools.map((t) => {
          const name = t.name || t.function?.name || t.type || '?';
          const desc = t.description || t.function?.description || '';
          return h('li', h('strong.mono', name), desc ? h('span.muted', ` — ${desc.length > 160 ? `${desc.slice(0, 160)}…` : desc}`) : null);
        })))));
    }
    for (const message of req.messages || []) out.push(renderMessage(message));
  } else if (req !== null && req !== undefined) {
    out.push(h('section.msg', h('div.msg-role', 'Request'), h('div.msg-body', textBody(String(req)))));
  } else {
    out.push(h('p.muted', 'The request was not stored (storage.metadata_only).'));
  }
  const final = detail.response?.final;
  const original = detail.response?.original;
  if (final && typeof final === 'object' && Array.isArray(final.content)) {
    out.push(renderMessage({ role: 'assistant', content: final.content }, {
      label: 'Assistant — as delivered', cls: 'response', annotate,
    }));
    const changed = original && typeof original === 'object' && !jsonEqual(original.content, final.content);
    out.push(h('div.stop-reason.muted', final.stop_reason ? `stop_reason: ${final.stop_reason}` : null,
      changed ? h('span.changed-note', ' · a policy changed this answer: ', diffHref ? h('a', { href: diffHref }, 'see the diff') : 'see the diff') : null));
  } else if (original && typeof original === 'object' && Array.isArray(original.content)) {
    out.push(renderMessage({ role: 'assistant', content: original.content }, { label: 'Assistant — from upstream', cls: 'response', annotate }));
  } else if (detail.error) {
    out.push(h('section.msg.role-error', h('div.msg-role', 'Error'), h('div.msg-body', textBody(detail.error))));
  } else if (detail.state !== 'running') {
    out.push(h('p.muted', 'No response was recorded.'));
  }
  return out;
}
