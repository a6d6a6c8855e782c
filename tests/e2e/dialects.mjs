// Helpers shared by the OpenAI and cross-dialect end-to-end tests: a strict SSE
// parser, checkers for the stream grammar of each dialect (PROTOCOLS.md 2.5 /
// 2.9 for Anthropic, 3.4 / 3.6 for OpenAI) that also assemble the stream into
// the non-streaming shape, and a dialect-neutral "what did the model answer"
// form to compare answers across dialects.

/**
 * Parses an SSE body (PROTOCOLS.md 1.1) into [{ event, data }] (event null when
 * there was no `event:` line). Returns { events, tail } where tail is an
 * unterminated last event's raw text ('' when the body ended on a blank line).
 */
export function parseSSE(text) {
  const events = [];
  let event = null;
  let data = null;
  const lines = text.split(/\r\n|\r|\n/);
  // The last element is what followed the final line break: '' for a complete body.
  const tail = lines.pop();
  for (const line of lines) {
    if (line === '') {
      if (data !== null) events.push({ event, data });
      event = null;
      data = null;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') event = value;
    else if (name === 'data') data = data === null ? value : `${data}\n${value}`;
  }
  const pending = data !== null || event !== null;
  return { events, tail: pending ? `${tail}(unterminated event)` : tail };
}

/** Throws with `why` and the offending item when `cond` is false. */
function check(cond, why, item) {
  if (!cond) throw new Error(`${why}${item === undefined ? '' : `: ${JSON.stringify(item)}`}`);
}

/**
 * Checks parsed SSE events against OpenAI's chunk grammar (PROTOCOLS.md 3.4,
 * 3.6 MUSTs) and assembles them. Options: includeUsage (the request asked for
 * it), complete (the stream must finish with [DONE]; otherwise it may stop
 * early or end with an error chunk).
 * Returns { completion, chunks, error, done, contentDeltas, argumentFragments }:
 * completion in the non-streaming chat.completion shape, error the body of an
 * error chunk (or null).
 */
export function checkOpenAIStream(events, { includeUsage = false, complete = true } = {}) {
  const chunks = [];
  let head = null;
  let role = null;
  let content = null;
  const toolCalls = [];
  let finish = null;
  let usage = null;
  let done = false;
  let error = null;
  let contentDeltas = 0;
  let argumentFragments = 0;
  events.forEach((ev, i) => {
    const where = `chunk ${i}`;
    check(ev.event === null, `${where}: OpenAI chunks have no event: line`, ev);
    check(!done, `${where}: after [DONE]`, ev);
    check(error === null, `${where}: after an error chunk`, ev);
    if (ev.data === '[DONE]') {
      check(finish !== null, `${where}: [DONE] without a finish_reason`);
      if (includeUsage) check(usage !== null, `${where}: [DONE] before the usage chunk`);
      done = true;
      return;
    }
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      throw new Error(`${where}: data is not JSON: ${ev.data}`);
    }
    if (data.error) {
      for (const key of ['message', 'type', 'param', 'code']) {
        check(key in data.error, `${where}: error chunk without ${key}`, data);
      }
      error = data.error;
      return;
    }
    chunks.push(data);
    check(data.object === 'chat.completion.chunk', `${where}: object`, data);
    const thisHead = { id: data.id, created: data.created, model: data.model };
    check(typeof data.id === 'string' && data.id.length > 0, `${where}: id`, data);
    check(Number.isInteger(data.created), `${where}: created`, data);
    if (head === null) head = thisHead;
    check(JSON.stringify(thisHead) === JSON.stringify(head), `${where}: id/created/model changed`, data);
    check(('usage' in data) === includeUsage,
      `${where}: ${includeUsage ? 'no usage key although include_usage' : 'usage key without include_usage'}`, data);
    check(Array.isArray(data.choices), `${where}: choices is not an array`, data);
    if (data.choices.length === 0) {
      check(includeUsage && data.usage && typeof data.usage === 'object', `${where}: empty choices outside the usage chunk`, data);
      check(finish !== null, `${where}: usage chunk before the finish chunk`, data);
      check(usage === null, `${where}: second usage chunk`, data);
      usage = data.usage;
      return;
    }
    check(usage === null, `${where}: choice chunk after the usage chunk`, data);
    if (includeUsage) check(data.usage === null, `${where}: usage not null on a choice chunk`, data);
    check(data.choices.length === 1 && data.choices[0].index === 0, `${where}: one choice with index 0`, data);
    const choice = data.choices[0];
    check(finish === null, `${where}: chunk after the finish chunk`, data);
    const delta = choice.delta;
    check(delta && typeof delta === 'object', `${where}: no delta`, data);
    if (chunks.length === 1) check(delta.role === 'assistant', `${where}: the first delta has no role "assistant"`, data);
    if ('role' in delta) {
      check(chunks.length === 1, `${where}: role after the first chunk`, data);
      role = delta.role;
    }
    if (typeof delta.content === 'string') {
      content = (content ?? '') + delta.content;
      if (delta.content !== '') contentDeltas += 1;
    }
    for (const call of delta.tool_calls ?? []) {
      check(Number.isInteger(call.index), `${where}: tool call without index`, data);
      if (call.index === toolCalls.length) {
        check(typeof call.id === 'string' && call.id.length > 0, `${where}: first tool-call piece without id`, data);
        check(call.type === 'function', `${where}: first tool-call piece without type "function"`, data);
        check(typeof call.function?.name === 'string' && call.function.name.length > 0,
          `${where}: first tool-call piece without function.name`, data);
        check(call.function.arguments === '', `${where}: first tool-call piece arguments is not ""`, data);
        toolCalls.push({ id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } });
      } else {
        check(call.index >= 0 && call.index < toolCalls.length, `${where}: tool-call index not dense`, data);
        const keys = Object.keys(call).sort().join(',');
        const fkeys = Object.keys(call.function ?? {}).join(',');
        check(keys === 'function,index' && fkeys === 'arguments',
          `${where}: a later tool-call piece carries more than index + function.arguments`, data);
        toolCalls[call.index].function.arguments += call.function.arguments;
        argumentFragments += 1;
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
      finish = choice.finish_reason;
    }
  });
  if (complete) {
    check(error === null, `stream ended with an error chunk`, error);
    check(done, 'stream ended without [DONE]');
  }
  if (done) {
    for (const call of toolCalls) {
      let args;
      try {
        args = JSON.parse(call.function.arguments);
      } catch {
        throw new Error(`tool call ${call.id}: arguments are not JSON: ${call.function.arguments}`);
      }
      check(args && typeof args === 'object' && !Array.isArray(args), 'tool-call arguments are not an object', call);
    }
  }
  const message = { role, content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
  const completion = {
    ...(head ?? {}),
    object: 'chat.completion',
    choices: [{ index: 0, message, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  };
  return { completion, chunks, error, done, contentDeltas, argumentFragments };
}

/**
 * Checks parsed SSE events against the Anthropic stream grammar (PROTOCOLS.md
 * 2.5, 2.9) and assembles the message. complete: must end with message_stop
 * (otherwise it may stop early or end with an `error` event).
 * Returns { message, error, stopped, textDeltas, jsonDeltas }.
 */
export function checkAnthropicStream(events, { complete = true } = {}) {
  let message = null;
  let open = null; // index of the open block
  let partial = '';
  let deltaSeen = false;
  let stopped = false;
  let error = null;
  let textDeltas = 0;
  let jsonDeltas = 0;
  events.forEach((ev, i) => {
    const where = `event ${i} (${ev.event})`;
    check(typeof ev.event === 'string' && ev.event.length > 0, `${where}: no event: line`, ev);
    check(!stopped, `${where}: after message_stop`, ev);
    check(error === null, `${where}: after an error event`, ev);
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      throw new Error(`${where}: data is not JSON: ${ev.data}`);
    }
    check(data.type === ev.event, `${where}: data.type differs from the event name`, data);
    if (ev.event === 'error') {
      check(data.error && typeof data.error.type === 'string', `${where}: error event without error.type`, data);
      error = data.error;
      return;
    }
    if (ev.event === 'ping') return;
    if (message === null) {
      check(ev.event === 'message_start', `${where}: the first event is not message_start`, data);
      message = structuredClone(data.message);
      check(Array.isArray(message.content) && message.content.length === 0, `${where}: content is not []`, data);
      check(message.usage && 'input_tokens' in message.usage && 'output_tokens' in message.usage,
        `${where}: usage incomplete`, data);
      return;
    }
    switch (ev.event) {
      case 'content_block_start':
        check(open === null, `${where}: a block is still open`, data);
        check(!deltaSeen, `${where}: block after message_delta`, data);
        check(data.index === message.content.length, `${where}: block index not dense`, data);
        open = data.index;
        partial = '';
        message.content.push(structuredClone(data.content_block));
        break;
      case 'content_block_delta': {
        check(open !== null && data.index === open, `${where}: delta for a block that is not open`, data);
        const block = message.content[open];
        const d = data.delta;
        if (d.type === 'text_delta' && block.type === 'text') {
          block.text += d.text;
          textDeltas += 1;
        } else if (d.type === 'input_json_delta' && block.type === 'tool_use') {
          partial += d.partial_json;
          jsonDeltas += 1;
        } else if (d.type === 'thinking_delta' && block.type === 'thinking') {
          block.thinking += d.thinking;
        } else if (d.type === 'signature_delta' && block.type === 'thinking') {
          block.signature = d.signature;
        } else {
          throw new Error(`${where}: ${d.type} in a ${block.type} block`);
        }
        break;
      }
      case 'content_block_stop':
        check(open !== null && data.index === open, `${where}: stop for a block that is not open`, data);
        if (message.content[open].type === 'tool_use') {
          let input;
          try {
            input = partial === '' ? {} : JSON.parse(partial);
          } catch {
            throw new Error(`${where}: tool input is not JSON: ${partial}`);
          }
          check(input && typeof input === 'object' && !Array.isArray(input), `${where}: tool input is not an object`, input);
          message.content[open].input = input;
        }
        open = null;
        break;
      case 'message_delta':
        check(open === null, `${where}: message_delta inside a block`, data);
        check(typeof data.delta?.stop_reason === 'string', `${where}: stop_reason is not a string`, data);
        check(Number.isInteger(data.usage?.output_tokens), `${where}: usage.output_tokens missing`, data);
        message.stop_reason = data.delta.stop_reason;
        message.stop_sequence = data.delta.stop_sequence ?? null;
        message.usage = { ...message.usage, ...data.usage };
        deltaSeen = true;
        break;
      case 'message_stop':
        check(deltaSeen, `${where}: message_stop without message_delta`, data);
        stopped = true;
        break;
      default:
        throw new Error(`${where}: unknown event`);
    }
  });
  if (complete) {
    check(error === null, 'stream ended with an error event', error);
    check(stopped, 'stream ended without message_stop');
  }
  return { message, error, stopped, textDeltas, jsonDeltas };
}

// ---- the dialect-neutral answer ----

const STOP_TO_FINISH = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls', refusal: 'content_filter' };

/**
 * What the model answered, in a form both dialects map to: { text, tools:
 * [{ name, args }], finish } with finish in OpenAI's terms (PROTOCOLS.md 4.4).
 * ids are returned apart ({ ids }), since they may legitimately differ.
 */
export function fromAnthropic(message) {
  const text = message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
  const tools = message.content.filter((b) => b.type === 'tool_use');
  return {
    answer: {
      text,
      tools: tools.map((t) => ({ name: t.name, args: t.input })),
      finish: STOP_TO_FINISH[message.stop_reason] ?? `unknown:${message.stop_reason}`,
    },
    ids: tools.map((t) => t.id),
  };
}

export function fromOpenAI(completion) {
  const choice = completion.choices[0];
  const calls = choice.message.tool_calls ?? [];
  return {
    answer: {
      text: choice.message.content ?? '',
      tools: calls.map((c) => ({ name: c.function.name, args: JSON.parse(c.function.arguments) })),
      finish: choice.finish_reason,
    },
    ids: calls.map((c) => c.id),
  };
}

/** Reads a fetch() Response body as text, bounded by ms; a broken body gives { text, error }. */
export async function readBody(res, ms = 20_000) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let error = null;
  const deadline = Date.now() + ms;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`body not finished within ${ms} ms`);
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`body not finished within ${ms} ms`)), left);
      });
      const { done, value } = await Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (err) {
    error = `${err.message}${err.cause ? `: ${err.cause.message ?? err.cause}` : ''}`;
    reader.cancel().catch(() => {});
  }
  text += decoder.decode();
  return { text, error };
}
