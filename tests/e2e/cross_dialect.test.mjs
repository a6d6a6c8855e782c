// End-to-end: both official SDKs (openai-node 6 and @anthropic-ai/sdk) through
// Warden to both upstream dialects, with the routing config of
// harness.routingConfig(): claude-* → the mock's Anthropic side, gpt-* → the
// mock's OpenAI side. Four combinations:
//
//   OpenAI SDK    → gpt-*    (same dialect)
//   OpenAI SDK    → claude-* (Anthropic upstream, translated)
//   Anthropic SDK → gpt-*    (OpenAI upstream, translated)
//   Anthropic SDK → claude-* (same dialect)
//
// The mock plays every scenario with the same content in both dialects, so each
// answer through Warden, reduced to a dialect-neutral form (text, tool names and
// parsed arguments, finish reason in OpenAI's terms), must equal the mock's own
// direct answer in the upstream's dialect. Tool call ids must be the upstream's
// (PROTOCOLS.md 4.3: passed through unchanged). Errors must arrive as the client
// SDK's error class for the status PROTOCOLS.md 4.9 maps to.
//
// Scenarios are chosen with the `x-mock-scenario` header, which Warden forwards.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { checkAnthropicStream, checkOpenAIStream, fromAnthropic, fromOpenAI, parseSSE, readBody } from './dialects.mjs';
import { headerValues, routingConfig, startStack, stopCleanly, withTimeout } from './harness.mjs';

for (const k of Object.keys(process.env)) {
  if (k.startsWith('OPENAI_') || k.startsWith('ANTHROPIC_')) delete process.env[k];
}

const CASE_TIMEOUT = { timeout: 90_000 };
const MODEL = { anthropic: 'claude-mock-1', openai: 'gpt-mock-1' };
const ANSWER_SCENARIOS = ['text', 'tool_use', 'two_tools', 'thinking'];
const COMBOS = [
  { client: 'openai', upstream: 'openai' },
  { client: 'openai', upstream: 'anthropic' },
  { client: 'anthropic', upstream: 'openai' },
  { client: 'anthropic', upstream: 'anthropic' },
];
const label = ({ client, upstream }) => `${client === 'openai' ? 'OpenAI SDK' : 'Anthropic SDK'} → ${MODEL[upstream]} (${upstream} upstream)`;

let stack;
before(async () => {
  stack = await startStack({ config: routingConfig });
});
after(async () => {
  if (!stack) return;
  await stopCleanly(stack);
});

const plain = (v) => JSON.parse(JSON.stringify(v));
const scenario = (name) => ({ headers: { 'x-mock-scenario': name } });
const USER = [{ role: 'user', content: 'Say hello.' }];

// ---- the two client dialects behind one interface ----

function describeError(err, SDK) {
  return {
    class: err?.constructor?.name,
    isAPIError: err instanceof SDK.APIError,
    status: err?.status ?? null,
    type: err?.type ?? null,
    code: err?.code ?? null,
    message: String(err?.message ?? err),
    retryAfter: err?.headers?.get?.('retry-after') ?? null,
    requestID: err?.requestID ?? null,
  };
}

const openaiClient = {
  SDK: OpenAI,
  sdk: (base) => new OpenAI({ baseURL: `${base}/v1`, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 }),
  params: (model, extra = {}) => ({ model, max_completion_tokens: 1024, messages: USER, ...extra }),
  async create(base, model, scen) {
    const completion = plain(await this.sdk(base).chat.completions.create(this.params(model), scenario(scen)));
    return { ...fromOpenAI(completion), model: completion.model, outputTokens: completion.usage?.completion_tokens };
  },
  /** Raw SDK chunk iteration; the chunks are checked and assembled like the wire. */
  async raw(base, model, scen, extra = {}) {
    const chunks = [];
    let error = null;
    try {
      const stream = await this.sdk(base).chat.completions.create(this.params(model, { stream: true, ...extra }), scenario(scen));
      for await (const chunk of stream) chunks.push(plain(chunk));
    } catch (err) {
      error = describeError(err, OpenAI);
    }
    const events = chunks.map((c) => ({ event: null, data: JSON.stringify(c) }));
    const checked = checkOpenAIStream(events, { includeUsage: Boolean(extra.stream_options?.include_usage), complete: false });
    return { error, checked, answer: error ? null : fromOpenAI(checked.completion), pieces: checked.contentDeltas };
  },
  async helper(base, model, scen) {
    const stream = this.sdk(base).chat.completions.stream(this.params(model), scenario(scen));
    let pieces = 0;
    stream.on('content', () => { pieces += 1; });
    try {
      const completion = plain(await stream.finalChatCompletion());
      return { error: null, pieces, ...fromOpenAI(completion) };
    } catch (err) {
      return { error: describeError(err, OpenAI), pieces };
    }
  },
  wire: {
    path: '/v1/chat/completions',
    headers: { authorization: 'Bearer test-key' },
    body: (model, extra) => ({ model, max_completion_tokens: 1024, messages: USER, stream: true, stream_options: { include_usage: true }, ...extra }),
    check: (events, complete) => {
      const c = checkOpenAIStream(events, { includeUsage: true, complete });
      return {
        answer: c.done ? fromOpenAI(c.completion) : null,
        pieces: c.contentDeltas,
        error: c.error,
        ended: c.done,
        outputTokens: c.completion.usage?.completion_tokens,
        partialText: c.completion.choices[0].message.content ?? '',
      };
    },
  },
  streamModes: (c, model, scen) => ({
    'create-stream': async () => {
      const s = await c.chat.completions.create(openaiClient.params(model, { stream: true }), scenario(scen));
      for await (const _ of s);
    },
    'stream-helper': () => c.chat.completions.stream(openaiClient.params(model), scenario(scen)).finalChatCompletion(),
    create: () => c.chat.completions.create(openaiClient.params(model), scenario(scen)),
  }),
};

const anthropicClient = {
  SDK: Anthropic,
  sdk: (base) => new Anthropic({ baseURL: base, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 }),
  params: (model, extra = {}) => ({ model, max_tokens: 1024, messages: USER, ...extra }),
  async create(base, model, scen) {
    const message = plain(await this.sdk(base).messages.create(this.params(model), scenario(scen)));
    return { ...fromAnthropic(message), model: message.model, outputTokens: message.usage?.output_tokens };
  },
  async raw(base, model, scen) {
    const events = [];
    let error = null;
    try {
      const stream = await this.sdk(base).messages.create(this.params(model, { stream: true }), scenario(scen));
      for await (const ev of stream) events.push({ event: ev.type, data: JSON.stringify(ev) });
    } catch (err) {
      error = describeError(err, Anthropic);
    }
    const checked = checkAnthropicStream(events, { complete: false });
    return { error, checked, answer: error ? null : fromAnthropic(checked.message), pieces: checked.textDeltas };
  },
  async helper(base, model, scen) {
    const stream = this.sdk(base).messages.stream(this.params(model), scenario(scen));
    let pieces = 0;
    stream.on('text', () => { pieces += 1; });
    try {
      const message = plain(await stream.finalMessage());
      return { error: null, pieces, ...fromAnthropic(message) };
    } catch (err) {
      return { error: describeError(err, Anthropic), pieces };
    }
  },
  wire: {
    path: '/v1/messages',
    headers: { 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01' },
    body: (model, extra) => ({ model, max_tokens: 1024, messages: USER, stream: true, ...extra }),
    check: (events, complete) => {
      const c = checkAnthropicStream(events, { complete });
      const texts = (c.message?.content ?? []).filter((b) => b.type === 'text').map((b) => b.text).join('');
      return {
        answer: c.stopped ? fromAnthropic(c.message) : null,
        pieces: c.textDeltas,
        error: c.error,
        ended: c.stopped,
        outputTokens: c.message?.usage?.output_tokens,
        partialText: texts,
      };
    },
  },
  streamModes: (c, model, scen) => ({
    'create-stream': async () => {
      const s = await c.messages.create(anthropicClient.params(model, { stream: true }), scenario(scen));
      for await (const _ of s);
    },
    'stream-helper': () => c.messages.stream(anthropicClient.params(model), scenario(scen)).finalMessage(),
    create: () => c.messages.create(anthropicClient.params(model), scenario(scen)),
  }),
};

const CLIENTS = { openai: openaiClient, anthropic: anthropicClient };

// ---- what the mock intends: its own direct answer in the upstream's dialect ----

const expectedCache = new Map();
async function intended(upstream, scen) {
  const key = `${upstream}/${scen}`;
  if (!expectedCache.has(key)) {
    const c = CLIENTS[upstream];
    const direct = await withTimeout(c.create(stack.mockUrl, MODEL[upstream], scen), 20_000, `direct ${key}`);
    const raw = await withTimeout(c.raw(stack.mockUrl, MODEL[upstream], scen), 20_000, `direct stream ${key}`);
    assert.equal(raw.error, null, `the mock's own ${key} stream failed`);
    expectedCache.set(key, { ...direct, pieces: raw.pieces });
  }
  return expectedCache.get(key);
}

/** POSTs a streaming request through Warden with plain fetch; returns the parsed body. */
async function fetchWire(c, model, scen, extra = {}) {
  const res = await fetch(`${stack.wardenUrl}${c.wire.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mock-scenario': scen, ...c.wire.headers },
    body: JSON.stringify(c.wire.body(model, extra)),
    signal: AbortSignal.timeout(25_000),
  });
  const { text, error } = await readBody(res);
  return { status: res.status, contentType: res.headers.get('content-type'), text, transportError: error, parsed: parseSSE(text) };
}

// ---- the tests, once per combination ----

for (const combo of COMBOS) {
  const c = CLIENTS[combo.client];
  const model = MODEL[combo.upstream];
  const translated = combo.client !== combo.upstream;

  describe(label(combo), () => {
    for (const scen of ANSWER_SCENARIOS) {
      test(`${scen}: create (non-streaming)`, CASE_TIMEOUT, async () => {
        const want = await intended(combo.upstream, scen);
        const got = await withTimeout(c.create(stack.wardenUrl, model, scen), 30_000, 'create through Warden');
        assert.deepEqual(got.answer, want.answer, 'answer through Warden differs from the mock\'s intended answer');
        assert.deepEqual(got.ids, want.ids, 'tool call ids are not the upstream\'s (PROTOCOLS.md 4.3)');
        assert.equal(got.model, model, 'model is not the one the client asked for');
        assert.equal(got.outputTokens, want.outputTokens, 'output tokens (completion_tokens ↔ output_tokens, 4.5)');
      });

      test(`${scen}: raw stream iteration`, CASE_TIMEOUT, async () => {
        const want = await intended(combo.upstream, scen);
        const got = await withTimeout(c.raw(stack.wardenUrl, model, scen), 30_000, 'raw stream through Warden');
        assert.equal(got.error, null, `the stream threw: ${JSON.stringify(got.error)}`);
        assert.deepEqual(got.answer.answer, want.answer);
        assert.deepEqual(got.answer.ids, want.ids, 'tool call ids (4.3)');
        assert.equal(got.pieces, want.pieces, 'number of text pieces (each upstream delta is one client delta, 4.7/4.8)');
      });

      test(`${scen}: SDK stream helper`, CASE_TIMEOUT, async () => {
        const want = await intended(combo.upstream, scen);
        const got = await withTimeout(c.helper(stack.wardenUrl, model, scen), 30_000, 'stream helper through Warden');
        assert.equal(got.error, null, `the helper threw: ${JSON.stringify(got.error)}`);
        assert.deepEqual(got.answer, want.answer);
        assert.deepEqual(got.ids, want.ids, 'tool call ids (4.3)');
      });
    }

    test('wire: every stream obeys the client dialect\'s grammar and carries the intended answer', CASE_TIMEOUT, async () => {
      const failures = [];
      for (const scen of ANSWER_SCENARIOS) {
        const want = await intended(combo.upstream, scen);
        try {
          const w = await fetchWire(c, model, scen);
          assert.equal(w.status, 200, `${scen}: status ${w.status}: ${w.text.slice(0, 300)}`);
          assert.match(w.contentType ?? '', /^text\/event-stream/, `${scen}: content-type`);
          assert.equal(w.transportError, null, `${scen}: body broke off`);
          assert.equal(w.parsed.tail, '', `${scen}: the body does not end on an event boundary`);
          const got = c.wire.check(w.parsed.events, true);
          assert.deepEqual(got.answer.answer, want.answer, `${scen}: answer`);
          assert.deepEqual(got.answer.ids, want.ids, `${scen}: tool call ids`);
          assert.equal(got.outputTokens, want.outputTokens, `${scen}: output tokens in the stream's usage`);
        } catch (err) {
          failures.push(err.message);
        }
      }
      assert.deepEqual(failures, []);
    });

    test('midstream_error: the stream ends with an error the SDK throws', CASE_TIMEOUT, async () => {
      const raw = await withTimeout(c.raw(stack.wardenUrl, model, 'midstream_error'), 30_000, 'raw');
      const helper = await withTimeout(c.helper(stack.wardenUrl, model, 'midstream_error'), 30_000, 'helper');
      for (const [mode, err] of [['raw', raw.error], ['helper', helper.error]]) {
        assert.ok(err, `${mode}: no error thrown`);
        assert.equal(err.isAPIError, true, `${mode}: ${err.class} is not the SDK's APIError`);
        assert.match(err.message, /Overloaded/, `${mode}: the upstream's message text is kept (4.9)`);
        if (combo.client === 'openai') {
          assert.equal(err.type, 'server_error', `${mode}: type`);
        } else {
          assert.ok(['overloaded_error', 'api_error'].includes(err.type), `${mode}: type ${err.type}`);
        }
      }
      assert.equal(raw.pieces, 3, 'the three text pieces before the error arrive');
      // On the wire: some text, then the error as the last event, and no end marker.
      const w = await fetchWire(c, model, 'midstream_error');
      assert.equal(w.status, 200);
      const got = c.wire.check(w.parsed.events, false);
      assert.ok(got.error, `no error event/chunk at the end: ${w.text.slice(-300)}`);
      assert.equal(got.ended, false, 'a finished stream after the error');
      assert.equal(got.partialText, 'Hello from the');
      if (combo.client === 'anthropic') assert.equal(got.error.type === 'overloaded_error' || got.error.type === 'api_error', true);
    });

    test('drop: an upstream connection dropped mid-stream is an error for the client', CASE_TIMEOUT, async () => {
      const raw = await withTimeout(c.raw(stack.wardenUrl, model, 'drop'), 30_000, 'raw');
      const helper = await withTimeout(c.helper(stack.wardenUrl, model, 'drop'), 30_000, 'helper');
      assert.ok(raw.error, 'raw iteration ended without an error');
      assert.ok(helper.error, 'the stream helper did not throw');
      const w = await fetchWire(c, model, 'drop');
      const got = c.wire.check(w.parsed.events, false);
      assert.equal(got.ended, false, 'a stream cut upstream looks complete to the client');
      assert.ok(got.error || w.transportError, `the client saw neither an error event nor a broken body: ${w.text.slice(-300)}`);
      assert.equal(got.partialText, 'Hello from the');
      const again = await c.create(stack.wardenUrl, model, 'text');
      assert.ok(again.answer.text.startsWith('Hello from the mock upstream.'), 'Warden still healthy');
    });

    describe('HTTP errors surface as the client SDK\'s error class', () => {
      for (const e of errorCases(combo)) {
        test(`error_${e.upstreamStatus} → ${e.status} ${e.className}`, CASE_TIMEOUT, async () => {
          const sdk = c.sdk(stack.wardenUrl);
          const out = {};
          for (const [mode, call] of Object.entries(c.streamModes(sdk, model, `error_${e.upstreamStatus}`))) {
            try {
              await withTimeout(call(), 30_000, mode);
              out[mode] = 'no error thrown';
            } catch (err) {
              out[mode] = { ...describeError(err, c.SDK), instanceOfExpected: err instanceof c.SDK[e.className] };
            }
          }
          for (const [mode, got] of Object.entries(out)) {
            assert.equal(typeof got, 'object', `${mode}: ${got}`);
            assert.equal(got.class, e.className, `${mode}: class (${JSON.stringify(got)})`);
            assert.equal(got.instanceOfExpected, true, mode);
            assert.equal(got.status, e.status, mode);
            if (e.type !== undefined) assert.equal(got.type, e.type, `${mode}: type`);
            if (e.code !== undefined) assert.equal(got.code, e.code, `${mode}: code`);
            assert.ok(got.message.includes(e.message), `${mode}: message ${JSON.stringify(got.message)} lacks the upstream's text ${JSON.stringify(e.message)}`);
            assert.ok(typeof got.requestID === 'string' && got.requestID.length > 0, `${mode}: request id header of the client dialect`);
            if (e.retryAfter) assert.equal(got.retryAfter, '1', `${mode}: retry-after`);
          }
        });
      }
    });

    if (translated) {
      test('the client gets Warden\'s own request id in its dialect\'s header (4.9)', CASE_TIMEOUT, async () => {
        // The mock's ids are recognisably its own (req_mock…); a translated answer
        // must carry Warden's id instead, in the client dialect's header.
        const header = combo.client === 'openai' ? 'x-request-id' : 'request-id';
        const got = {};
        for (const scen of ['text', 'error_429']) {
          const res = await fetch(`${stack.wardenUrl}${c.wire.path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-mock-scenario': scen, ...c.wire.headers },
            body: JSON.stringify({ ...c.wire.body(model, {}), stream: false, stream_options: undefined }),
            signal: AbortSignal.timeout(20_000),
          });
          await res.arrayBuffer();
          got[scen] = res.headers.get(header);
        }
        for (const [scen, id] of Object.entries(got)) {
          assert.ok(id, `${scen}: no ${header} header`);
          assert.ok(!id.startsWith('req_mock'), `${scen}: ${header} is the upstream's id ${id}, not Warden's own`);
        }
      });

      test('the translated request reaches the mock in the upstream dialect', CASE_TIMEOUT, async () => {
        await stack.clearMockRequests();
        const sdk = c.sdk(stack.wardenUrl);
        if (combo.client === 'openai') {
          await sdk.chat.completions.create({
            model,
            max_completion_tokens: 512,
            stream: true,
            messages: [
              { role: 'system', content: 'Be brief.' },
              { role: 'user', content: 'Weather in Paris?' },
              { role: 'assistant', content: null, tool_calls: [{ id: 'call_e2e_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
              { role: 'tool', tool_call_id: 'call_e2e_1', content: 'sunny' },
              { role: 'user', content: 'Thanks.' },
            ],
            tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }],
          }, scenario('text')).then(async (s) => { for await (const _ of s); });
        } else {
          await sdk.messages.create({
            model,
            max_tokens: 512,
            stream: true,
            system: 'Be brief.',
            messages: [
              { role: 'user', content: 'Weather in Paris?' },
              { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_e2e_1', name: 'get_weather', input: { location: 'Paris' } }] },
              { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_e2e_1', content: 'sunny' }, { type: 'text', text: 'Thanks.' }] },
            ],
            tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { location: { type: 'string' } } } }],
          }, scenario('text')).then(async (s) => { for await (const _ of s); });
        }
        const reqs = await stack.mockRequests();
        assert.equal(reqs.length, 1, `the mock saw ${reqs.length} requests`);
        const r = reqs[0];
        const body = JSON.parse(r.body);
        assert.deepEqual(headerValues(r, 'x-mock-scenario'), ['text'], 'unknown header forwarded');
        if (combo.upstream === 'anthropic') {
          assert.match(r.target, /^\/v1\/messages(\?|$)/);
          assert.equal(body.model, model);
          assert.equal(body.max_tokens, 512);
          assert.equal(body.stream, true);
          const system = typeof body.system === 'string' ? body.system : body.system.map((b) => b.text).join('');
          assert.equal(system, 'Be brief.');
          assert.deepEqual(body.messages.map((m) => m.role), ['user', 'assistant', 'user']);
          const toolUse = body.messages[1].content.find((b) => b.type === 'tool_use');
          assert.deepEqual({ id: toolUse.id, name: toolUse.name, input: toolUse.input }, { id: 'call_e2e_1', name: 'get_weather', input: { location: 'Paris' } });
          const last = body.messages[2].content;
          assert.equal(last[0].type, 'tool_result', 'tool results come first in the user turn (4.3)');
          assert.equal(last[0].tool_use_id, 'call_e2e_1');
          assert.ok(last.some((b) => b.type === 'text' && b.text === 'Thanks.'));
          assert.equal(body.tools[0].name, 'get_weather');
          assert.deepEqual(body.tools[0].input_schema, { type: 'object', properties: { location: { type: 'string' } } });
          assert.equal(headerValues(r, 'anthropic-version').length, 1, 'anthropic-version sent upstream');
          const auth = [...headerValues(r, 'x-api-key'), ...headerValues(r, 'authorization')];
          assert.ok(auth.includes('test-key') || auth.includes('Bearer test-key'), `credentials forwarded: ${JSON.stringify(auth)}`);
        } else {
          assert.match(r.target, /^\/v1\/chat\/completions(\?|$)/);
          assert.equal(body.model, model);
          assert.equal(body.max_completion_tokens ?? body.max_tokens, 512);
          assert.equal(body.stream, true);
          assert.deepEqual(body.stream_options, { include_usage: true }, 'always ask for usage (4.1)');
          assert.deepEqual(body.messages[0], { role: 'system', content: 'Be brief.' });
          assert.deepEqual(body.messages.map((m) => m.role), ['system', 'user', 'assistant', 'tool', 'user']);
          const call = body.messages[2].tool_calls[0];
          assert.equal(call.id, 'toolu_e2e_1');
          assert.equal(call.function.name, 'get_weather');
          assert.deepEqual(JSON.parse(call.function.arguments), { location: 'Paris' });
          assert.equal(body.messages[3].tool_call_id, 'toolu_e2e_1');
          const toolContent = typeof body.messages[3].content === 'string' ? body.messages[3].content : body.messages[3].content.map((p) => p.text).join('');
          assert.equal(toolContent, 'sunny');
          assert.deepEqual(body.tools[0], { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } });
          assert.deepEqual(headerValues(r, 'anthropic-version'), [], 'anthropic-version is not forwarded (4.1)');
          assert.deepEqual(headerValues(r, 'authorization'), ['Bearer test-key'], 'the key reaches an OpenAI upstream as a Bearer token');
        }
      });
    }
  });
}

describe('routing', () => {
  test('a model no route matches is a 404 in the client\'s dialect (3.5: code model_not_found)', CASE_TIMEOUT, async () => {
    const calls = {
      openai: () => openaiClient.sdk(stack.wardenUrl).chat.completions.create(openaiClient.params('llama-3-unrouted')),
      anthropic: () => anthropicClient.sdk(stack.wardenUrl).messages.create(anthropicClient.params('llama-3-unrouted')),
    };
    const out = {};
    for (const [name, call] of Object.entries(calls)) {
      try {
        await withTimeout(call(), 20_000, name);
        out[name] = 'no error thrown';
      } catch (err) {
        out[name] = describeError(err, CLIENTS[name].SDK);
      }
    }
    assert.equal(out.anthropic.class, 'NotFoundError', JSON.stringify(out.anthropic));
    assert.equal(out.anthropic.type, 'not_found_error');
    assert.equal(out.openai.class, 'NotFoundError', JSON.stringify(out.openai));
    assert.equal(out.openai.type, 'invalid_request_error');
    assert.equal(out.openai.code, 'model_not_found', `OpenAI code: ${JSON.stringify(out.openai)}`);
  });
});

/**
 * The error scenarios for a combination: the upstream's status, and what the
 * client must see (PROTOCOLS.md 4.9 when translated; pass-through otherwise).
 * `type`/`code` left undefined are not specified there and not checked.
 */
function errorCases({ client, upstream }) {
  const MSG = {
    400: 'Invalid request',
    401: 'invalid x-api-key',
    403: 'Your API key does not have permission to use the specified resource.',
    404: 'The requested resource could not be found.',
    429: 'Number of requests has exceeded your rate limit.',
    500: 'Internal server error',
    503: 'Internal server error',
    529: 'Overloaded',
  };
  const rows = [];
  const add = (upstreamStatus, status, className, extra = {}) =>
    rows.push({ upstreamStatus, status, className, message: MSG[upstreamStatus], ...extra });
  if (client === 'openai' && upstream === 'openai') {
    add(400, 400, 'BadRequestError', { type: 'invalid_request_error', code: null });
    add(401, 401, 'AuthenticationError', { type: 'invalid_request_error', code: 'invalid_api_key' });
    add(403, 403, 'PermissionDeniedError', { type: 'permission_error', code: null });
    add(404, 404, 'NotFoundError', { type: 'invalid_request_error', code: 'model_not_found' });
    add(429, 429, 'RateLimitError', { type: 'requests', code: 'rate_limit_exceeded', retryAfter: true });
    add(500, 500, 'InternalServerError', { type: 'server_error', code: null, retryAfter: true });
    add(503, 503, 'InternalServerError', { type: 'server_error', code: 'server_is_overloaded', retryAfter: true });
  } else if (client === 'openai' && upstream === 'anthropic') {
    add(400, 400, 'BadRequestError', { type: 'invalid_request_error' });
    add(401, 401, 'AuthenticationError', { type: 'invalid_request_error', code: 'invalid_api_key' });
    add(403, 403, 'PermissionDeniedError');
    add(404, 404, 'NotFoundError');
    add(429, 429, 'RateLimitError', { type: 'requests', code: 'rate_limit_exceeded', retryAfter: true });
    add(500, 500, 'InternalServerError', { type: 'server_error' });
    add(529, 503, 'InternalServerError', { type: 'server_error', code: 'server_is_overloaded' });
  } else if (client === 'anthropic' && upstream === 'openai') {
    add(400, 400, 'BadRequestError', { type: 'invalid_request_error' });
    add(401, 401, 'AuthenticationError', { type: 'authentication_error' });
    add(403, 403, 'PermissionDeniedError', { type: 'permission_error' });
    add(404, 404, 'NotFoundError', { type: 'not_found_error' });
    add(429, 429, 'RateLimitError', { type: 'rate_limit_error', retryAfter: true });
    add(500, 500, 'InternalServerError', { type: 'api_error' });
    add(503, 529, 'OverloadedError', { type: 'overloaded_error' });
  } else {
    add(400, 400, 'BadRequestError', { type: 'invalid_request_error' });
    add(401, 401, 'AuthenticationError', { type: 'authentication_error' });
    add(403, 403, 'PermissionDeniedError', { type: 'permission_error' });
    add(404, 404, 'NotFoundError', { type: 'not_found_error' });
    add(429, 429, 'RateLimitError', { type: 'rate_limit_error', retryAfter: true });
    add(500, 500, 'InternalServerError', { type: 'api_error', retryAfter: true });
    add(529, 529, 'OverloadedError', { type: 'overloaded_error', retryAfter: true });
  }
  return rows;
}
