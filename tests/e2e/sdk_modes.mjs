// Shared by the policy end-to-end tests (policies.test.mjs, judge.test.mjs):
// a client asks through Warden in one of four modes — @anthropic-ai/sdk or
// openai-node, each streaming and not — and gets the answer back in one
// dialect-neutral form, so a test states what it expects once for all four.
//
// useStack() gives each describe() its own Warden + mock and, after its tests,
// checks from Warden's log that every streamed answer passed the grammar check
// (stream.validate must be on in the config).

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startStack, stopCleanly, withTimeout } from './harness.mjs';

// Nothing from the caller's environment may configure the SDKs. Done on import,
// so it precedes every client a test file builds.
for (const k of Object.keys(process.env)) {
  if (k.startsWith('OPENAI_') || k.startsWith('ANTHROPIC_')) delete process.env[k];
}

export const CASE_TIMEOUT = { timeout: 60_000 };

/** Both SDKs ask for this model; Warden routes claude-* to the Anthropic-dialect mock, translating for OpenAI. */
export const MODEL = 'claude-mock-1';

/** The four ways a client asks: each SDK, streaming and not. */
export const MODES = [
  { name: 'Anthropic SDK, stream', sdk: 'anthropic', stream: true },
  { name: 'Anthropic SDK, create', sdk: 'anthropic', stream: false },
  { name: 'OpenAI SDK, stream', sdk: 'openai', stream: true },
  { name: 'OpenAI SDK, create', sdk: 'openai', stream: false },
];

/** SDK objects as plain data, so deepEqual compares content, not classes. */
export const plain = (v) => JSON.parse(JSON.stringify(v));

export function anthropicClient(base) {
  return new Anthropic({ baseURL: base, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 });
}
export function openaiClient(base) {
  return new OpenAI({ baseURL: `${base}/v1`, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 });
}

/** Warden's log as parsed JSON lines (anything else is skipped). */
export function logLines(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line still being written
    }
  }
  return out;
}

/**
 * Starts a stack with `config` (mockUrl => YAML, e.g. policyConfig/judgeConfig
 * with stream.validate on) for the enclosing describe() and stops it after its
 * tests, then checks the log: one `stream validated` line per streamed answer
 * (counted by ask()), each with no violation and a complete stream, and no
 * `stream grammar violation` anywhere. Returns the suite's state: { stack, streams }.
 */
export function useStack(config) {
  const suite = { stack: null, streams: 0 };
  before(async () => {
    suite.stack = await startStack({ config });
  });
  after(async () => {
    if (!suite.stack) return;
    await stopCleanly(suite.stack);
    const log = suite.stack.warden.log();
    assert.ok(!log.includes('stream grammar violation'),
      `Warden logged a stream grammar violation:\n${log.split('\n').filter((l) => l.includes('violation')).join('\n')}`);
    const validated = logLines(log).filter((l) => l.msg === 'stream validated');
    assert.equal(validated.length, suite.streams,
      `expected one "stream validated" line per streamed answer (${suite.streams})`);
    for (const line of validated) {
      assert.equal(line.violations, 0, JSON.stringify(line));
      assert.equal(line.complete, true, JSON.stringify(line));
    }
  });
  return suite;
}

/**
 * Runs fn() and returns { result, lines }: the JSON log lines Warden wrote while
 * it ran. Waits (up to 5 s) until done(lines) holds, since stderr may reach us a
 * moment after the HTTP answer.
 */
export async function logDuring(suite, fn, done) {
  const startAt = suite.stack.warden.log().length;
  const result = await fn();
  const deadline = Date.now() + 5_000;
  let lines;
  for (;;) {
    lines = logLines(suite.stack.warden.log().slice(startAt));
    if (done(lines) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { result, lines };
}

/** Runs fn() and returns { result, events }: the `policy event` lines logged meanwhile (waits for `n`). */
export async function policyEventsDuring(suite, fn, n) {
  const isEvent = (l) => l.msg === 'policy event';
  const { result, lines } = await logDuring(suite, fn, (ls) => ls.filter(isEvent).length >= n);
  return { result, events: lines.filter(isEvent) };
}

/**
 * Asks through Warden (or `base`, e.g. the mock itself) in `mode`; returns the
 * answer in a dialect-neutral form:
 *   text      all text the client got (Anthropic: the text blocks joined;
 *             OpenAI: message.content, '' when null)
 *   blocks    Anthropic only: the content blocks (plain data)
 *   tools     [{ id, name, input }] with input parsed
 *   stop      the stop reason in Anthropic's terms (OpenAI's finish_reason mapped)
 *   finish    the raw stop_reason / finish_reason
 *   deltas    streaming only: the text deltas the SDK reported, in order
 * Streams through Warden are counted in suite.streams for useStack()'s check.
 */
export async function ask(suite, mode, { scenario = 'text', prompt = 'Say hello.', base = suite.stack.wardenUrl } = {}) {
  const opts = { headers: { 'x-mock-scenario': scenario } };
  const messages = [{ role: 'user', content: prompt }];
  if (mode.stream && base === suite.stack.wardenUrl) suite.streams += 1;
  const run = async () => {
    if (mode.sdk === 'anthropic') {
      const c = anthropicClient(base);
      const params = { model: MODEL, max_tokens: 1024, messages };
      let message;
      let deltas = null;
      if (mode.stream) {
        deltas = [];
        const stream = c.messages.stream(params, opts);
        stream.on('text', (delta) => deltas.push(delta));
        message = plain(await stream.finalMessage());
      } else {
        message = plain(await c.messages.create(params, opts));
      }
      assert.equal(message.type, 'message');
      assert.equal(message.role, 'assistant');
      return {
        text: message.content.filter((b) => b.type === 'text').map((b) => b.text).join(''),
        blocks: message.content,
        tools: message.content.filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id, name: b.name, input: b.input })),
        stop: message.stop_reason,
        finish: message.stop_reason,
        deltas,
      };
    }
    const c = openaiClient(base);
    const params = { model: MODEL, max_completion_tokens: 1024, messages };
    let completion;
    let deltas = null;
    if (mode.stream) {
      deltas = [];
      const stream = c.chat.completions.stream(params, opts);
      stream.on('content', (delta) => deltas.push(delta));
      completion = plain(await stream.finalChatCompletion());
    } else {
      completion = plain(await c.chat.completions.create(params, opts));
    }
    assert.equal(completion.choices.length, 1);
    const { message, finish_reason: finish } = completion.choices[0];
    assert.equal(message.role, 'assistant');
    return {
      text: message.content ?? '',
      blocks: null,
      tools: (message.tool_calls ?? []).map((t) => {
        assert.equal(t.type, 'function');
        return { id: t.id, name: t.function.name, input: JSON.parse(t.function.arguments) };
      }),
      stop: { stop: 'end_turn', tool_calls: 'tool_use', length: 'max_tokens' }[finish] ?? finish,
      finish,
      deltas,
    };
  };
  const answer = await withTimeout(run(), 30_000, `${mode.name} (${scenario}: ${prompt.slice(0, 60)})`);
  if (answer.deltas) {
    assert.equal(answer.deltas.join(''), answer.text, 'the streamed text deltas add up to the final text');
  }
  return answer;
}

/** The content block types of an Anthropic answer (null for OpenAI). */
export const blockTypes = (answer) => answer.blocks?.map((b) => b.type) ?? null;
