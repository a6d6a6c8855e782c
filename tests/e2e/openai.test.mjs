// End-to-end: the official OpenAI TypeScript SDK (openai-node 6) against the
// mock upstream's OpenAI side, once directly and once through Warden, which
// routes the gpt-* model to its OpenAI-dialect provider (the same mock). Same
// dialect on both sides, so Warden must be invisible: every case runs both ways
// and asserts that what the SDK gives back through Warden equals what it gives
// back direct, and the raw bytes are compared too.
//
// Scenarios are chosen with the mock's `x-mock-scenario` header (see
// docs/mock-upstream.md).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { checkOpenAIStream, parseSSE, readBody } from './dialects.mjs';
import { expectUpstreamAborted, headerValues, routingConfig, startStack, stopCleanly, withTimeout } from './harness.mjs';

// Nothing from the caller's environment may configure the SDK.
for (const k of Object.keys(process.env)) {
  if (k.startsWith('OPENAI_')) delete process.env[k];
}

const CASE_TIMEOUT = { timeout: 60_000 };
const MODEL = 'gpt-mock-1';
const HELLO = 'Hello from the mock upstream.';
const TOOL_ARGS = { location: 'San Francisco, CA', unit: 'celsius' };
const TIME_ARGS = { timezone: 'America/Los_Angeles' };

let stack;
before(async () => {
  stack = await startStack({ config: routingConfig });
});
after(async () => {
  if (!stack) return;
  await stopCleanly(stack);
});

/** An SDK client for a base URL without /v1 (the SDK's baseURL includes it). */
function client(base) {
  return new OpenAI({ baseURL: `${base}/v1`, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 });
}

const params = (extra = {}) => ({
  model: MODEL,
  max_completion_tokens: 1024,
  messages: [{ role: 'user', content: 'Say hello.' }],
  ...extra,
});
const scenario = (name) => ({ headers: { 'x-mock-scenario': name } });

/** Plain data copy (drops the SDK's non-enumerable extras such as _request_id). */
const plain = (v) => JSON.parse(JSON.stringify(v));

async function bothWays(fn) {
  const direct = await withTimeout(fn(client(stack.mockUrl), 'direct'), 30_000, 'direct run');
  const warden = await withTimeout(fn(client(stack.wardenUrl), 'warden'), 30_000, 'run through Warden');
  assert.deepEqual(warden, direct, 'result through Warden differs from the result direct');
  return { direct, warden };
}

/** The parts of an SDK error that a client can observe, minus the per-request id. */
function describeError(err) {
  return {
    class: err?.constructor?.name,
    isAPIError: err instanceof OpenAI.APIError,
    status: err?.status ?? null,
    type: err?.type ?? null,
    code: err?.code ?? null,
    param: err?.param ?? null,
    message: String(err?.message ?? err).replace(/req_[A-Za-z0-9]+/g, 'req_X'),
    body: err?.error === undefined ? null : plain(err.error),
    retryAfter: err?.headers?.get?.('retry-after') ?? null,
  };
}

/** Iterates a raw `stream: true` response; returns { chunks, error } (error normalized, or null). */
async function collectRaw(c, opts, extra = {}) {
  const chunks = [];
  let error = null;
  try {
    const stream = await c.chat.completions.create(params({ stream: true, ...extra }), opts);
    for await (const chunk of stream) chunks.push(plain(chunk));
  } catch (err) {
    error = describeError(err);
  }
  return { chunks, error };
}

/** chat.completions.stream(...) with its events, and finalChatCompletion(). */
async function viaHelper(c, opts, extra = {}) {
  const stream = c.chat.completions.stream(params(extra), opts);
  const contents = [];
  const argumentDeltas = [];
  stream.on('content', (delta) => contents.push(delta));
  stream.on('tool_calls.function.arguments.delta', (e) => argumentDeltas.push({ index: e.index, delta: e.arguments_delta }));
  let completion = null;
  let error = null;
  try {
    completion = plain(await stream.finalChatCompletion());
  } catch (err) {
    error = describeError(err);
  }
  return { completion, contents, argumentDeltas, error };
}

/** The assistant message of a completion, in the shape both paths (stream or not) produce. */
function messageOf(completion) {
  const { role, content, tool_calls: calls } = completion.choices[0].message;
  return {
    role,
    content,
    tool_calls: (calls ?? []).map((t) => ({ id: t.id, type: t.type, function: { name: t.function.name, arguments: t.function.arguments } })),
    finish_reason: completion.choices[0].finish_reason,
  };
}

describe('OpenAI SDK: direct vs. through Warden (gpt-* → OpenAI provider)', () => {
  test('chat.completions.create (text, non-streaming)', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => plain(await c.chat.completions.create(params(), scenario('text'))));
    assert.equal(direct.object, 'chat.completion');
    assert.equal(direct.model, MODEL);
    assert.ok(direct.choices[0].message.content.startsWith(HELLO), direct.choices[0].message.content);
    assert.equal(direct.choices[0].finish_reason, 'stop');
    assert.equal(typeof direct.usage.completion_tokens, 'number');
  });

  test('request id is exposed as _request_id through Warden', CASE_TIMEOUT, async () => {
    const completion = await client(stack.wardenUrl).chat.completions.create(params(), scenario('text'));
    assert.ok(typeof completion._request_id === 'string' && completion._request_id.length > 0,
      `x-request-id through Warden: ${completion._request_id}`);
  });

  test('chat.completions.stream(...).finalChatCompletion() (text)', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays((c) => viaHelper(c, scenario('text')));
    assert.equal(direct.error, null);
    assert.equal(direct.contents.length, 20, 'the text scenario streams 20 content deltas');
    assert.ok(direct.completion.choices[0].message.content.startsWith(HELLO));
    const whole = plain(await client(stack.wardenUrl).chat.completions.create(params(), scenario('text')));
    assert.deepEqual(messageOf(direct.completion), messageOf(whole), 'streamed and whole answers differ');
  });

  for (const includeUsage of [false, true]) {
    test(`raw chunk iteration with stream: true (text${includeUsage ? ', include_usage' : ''})`, CASE_TIMEOUT, async () => {
      const extra = includeUsage ? { stream_options: { include_usage: true } } : {};
      const { direct } = await bothWays((c) => collectRaw(c, scenario('text'), extra));
      assert.equal(direct.error, null);
      assert.equal(direct.chunks[0].choices[0].delta.role, 'assistant');
      const contents = direct.chunks.filter((c) => c.choices[0]?.delta?.content);
      assert.equal(contents.length, 20);
      const last = direct.chunks.at(-1);
      if (includeUsage) {
        assert.deepEqual(last.choices, []);
        assert.equal(typeof last.usage.total_tokens, 'number');
        assert.ok(direct.chunks.slice(0, -1).every((c) => c.usage === null), 'usage: null on every other chunk');
      } else {
        assert.equal(last.choices[0].finish_reason, 'stop');
        assert.ok(direct.chunks.every((c) => !('usage' in c)), 'no usage key without include_usage');
      }
    });
  }

  test('tool_use: one call, arguments in fragments', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => ({
      helper: await viaHelper(c, scenario('tool_use')),
      whole: plain(await c.chat.completions.create(params(), scenario('tool_use'))),
      raw: await collectRaw(c, scenario('tool_use')),
    }));
    assert.equal(direct.helper.error, null);
    assert.equal(direct.raw.error, null);
    for (const completion of [direct.helper.completion, direct.whole]) {
      const m = messageOf(completion);
      assert.equal(m.finish_reason, 'tool_calls');
      assert.equal(m.content, "I'll check the weather in San Francisco.");
      assert.equal(m.tool_calls.length, 1);
      assert.equal(m.tool_calls[0].function.name, 'get_weather');
      assert.match(m.tool_calls[0].id, /^call_/);
      assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), TOOL_ARGS);
    }
    assert.deepEqual(messageOf(direct.helper.completion), messageOf(direct.whole));
    assert.ok(direct.helper.argumentDeltas.length > 1, 'arguments arrive in several fragments');
    const pieces = direct.raw.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.equal(pieces[0].function.arguments, '', 'the first piece carries arguments ""');
    assert.ok(pieces.slice(1).every((p) => !('id' in p) && !('type' in p) && !('name' in p.function)));
  });

  test('two_tools: parallel calls with indices 0 and 1', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => ({
      helper: await viaHelper(c, scenario('two_tools')),
      whole: plain(await c.chat.completions.create(params(), scenario('two_tools'))),
      raw: await collectRaw(c, scenario('two_tools')),
    }));
    for (const completion of [direct.helper.completion, direct.whole]) {
      const m = messageOf(completion);
      assert.equal(m.finish_reason, 'tool_calls');
      assert.equal(m.content, null);
      assert.deepEqual(m.tool_calls.map((t) => t.function.name), ['get_weather', 'get_time']);
      assert.deepEqual(m.tool_calls.map((t) => t.id), ['call_mock_weather_0001', 'call_mock_time_0002']);
      assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), TOOL_ARGS);
      assert.deepEqual(JSON.parse(m.tool_calls[1].function.arguments), TIME_ARGS);
    }
    const firsts = direct.raw.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []).filter((p) => p.id);
    assert.deepEqual(firsts.map((p) => p.index), [0, 1]);
  });

  test('thinking: only the text part is answered', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => ({
      helper: await viaHelper(c, scenario('thinking')),
      whole: plain(await c.chat.completions.create(params(), scenario('thinking'))),
    }));
    for (const completion of [direct.helper.completion, direct.whole]) {
      assert.equal(completion.choices[0].message.content, 'Hello after thinking.');
    }
    assert.ok(direct.whole.usage.completion_tokens_details.reasoning_tokens > 0);
  });

  describe('HTTP errors surface as the SDK error class', () => {
    const cases = [
      [400, 'BadRequestError', 'invalid_request_error', null],
      [401, 'AuthenticationError', 'invalid_request_error', 'invalid_api_key'],
      [403, 'PermissionDeniedError', 'permission_error', null],
      [404, 'NotFoundError', 'invalid_request_error', 'model_not_found'],
      [429, 'RateLimitError', 'requests', 'rate_limit_exceeded'],
      [500, 'InternalServerError', 'server_error', null],
      [503, 'InternalServerError', 'server_error', 'server_is_overloaded'],
    ];
    for (const [status, className, errorType, code] of cases) {
      test(`error_${status} → ${className}`, CASE_TIMEOUT, async () => {
        const { warden } = await bothWays(async (c) => {
          const out = {};
          for (const [mode, call] of [
            ['create', () => c.chat.completions.create(params(), scenario(`error_${status}`))],
            ['create-stream', async () => {
              const s = await c.chat.completions.create(params({ stream: true }), scenario(`error_${status}`));
              for await (const _ of s);
            }],
            ['stream-helper', () => c.chat.completions.stream(params(), scenario(`error_${status}`)).finalChatCompletion()],
          ]) {
            try {
              await call();
              out[mode] = 'no error thrown';
            } catch (err) {
              out[mode] = describeError(err);
              out[mode].instanceOfExpected = err instanceof OpenAI[className];
              out[mode].hasRequestId = typeof err.requestID === 'string' && err.requestID.length > 0;
            }
          }
          return out;
        });
        for (const [mode, e] of Object.entries(warden)) {
          assert.equal(typeof e, 'object', `${mode}: ${e}`);
          assert.equal(e.class, className, mode);
          assert.equal(e.instanceOfExpected, true, mode);
          assert.equal(e.status, status, mode);
          assert.equal(e.type, errorType, mode);
          assert.equal(e.code, code, mode);
          assert.equal(e.hasRequestId, true, `${mode}: x-request-id header`);
          if (status === 429 || status >= 500) assert.equal(e.retryAfter, '1', `${mode}: retry-after`);
        }
      });
    }
  });

  test('midstream_error: an APIError thrown from the stream', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => ({
      raw: await collectRaw(c, scenario('midstream_error')),
      helper: await viaHelper(c, scenario('midstream_error')),
    }));
    for (const err of [direct.raw.error, direct.helper.error]) {
      assert.ok(err, 'an error was thrown');
      assert.equal(err.isAPIError, true);
      assert.equal(err.type, 'server_error');
      assert.equal(err.code, 'server_is_overloaded');
      assert.match(err.message, /Overloaded/);
    }
    assert.equal(direct.raw.chunks.filter((c) => c.choices[0]?.delta?.content).length, 3, 'three content chunks before the error');
    assert.ok(direct.raw.chunks.every((c) => c.choices[0]?.finish_reason == null), 'no finish_reason');
  });

  test('drop: a connection dropped mid-stream is an error through Warden', CASE_TIMEOUT, async () => {
    const run = async (c) => ({ raw: await collectRaw(c, scenario('drop')), helper: await viaHelper(c, scenario('drop')) });
    const direct = await withTimeout(run(client(stack.mockUrl)), 30_000, 'direct run');
    const warden = await withTimeout(run(client(stack.wardenUrl)), 30_000, 'run through Warden');
    assert.ok(direct.raw.error, 'direct raw iteration did not throw');
    // openai-node cannot tell a stream without [DONE] from a complete one: Warden
    // must turn the upstream's broken stream into an error the SDK sees.
    assert.ok(warden.raw.error, `raw iteration through Warden ended without an error; chunks: ${JSON.stringify(warden.raw.chunks.map((c) => c.choices[0]?.delta))}`);
    assert.ok(warden.helper.error, 'finalChatCompletion() through Warden did not throw');
    assert.deepEqual(warden.raw.chunks, direct.raw.chunks, 'what arrived before the drop differs');
    const completion = await client(stack.wardenUrl).chat.completions.create(params(), scenario('text'));
    assert.ok(completion.choices[0].message.content.startsWith(HELLO), 'Warden still healthy');
  });

  test('concurrent streams through Warden each equal their direct result', CASE_TIMEOUT, async () => {
    const scenarios = ['text', 'tool_use', 'two_tools', 'thinking', 'text', 'tool_use', 'two_tools', 'thinking'];
    const run = (url) => Promise.all(scenarios.map((s) => collectRaw(client(url), scenario(s), { stream_options: { include_usage: true } })));
    const direct = await withTimeout(run(stack.mockUrl), 30_000, 'direct runs');
    const warden = await withTimeout(run(stack.wardenUrl), 30_000, 'runs through Warden');
    assert.ok(direct.every((r) => r.error === null && r.chunks.at(-1)?.usage));
    assert.deepEqual(warden, direct);
  });

  test('SDK abort mid-stream through Warden cancels the upstream stream', CASE_TIMEOUT, async () => {
    const before = await stack.mockStats();
    const stream = client(stack.wardenUrl).chat.completions.stream(params(),
      { headers: { 'x-mock-scenario': 'slow', 'x-mock-delay-ms': '200' } });
    const contents = [];
    await withTimeout(new Promise((resolve, reject) => {
      stream.on('content', (d) => {
        contents.push(d);
        if (contents.length === 2) resolve();
      });
      stream.on('error', reject);
    }), 20_000, 'first deltas of the slow stream');
    stream.abort();
    await stream.done().catch(() => {});
    await expectUpstreamAborted(stack, before);
  });

  test('request headers and body reach the mock through Warden', CASE_TIMEOUT, async () => {
    const unknown = ['x-warden-e2e-unknown', 'some value; with=stuff'];
    // Fields Warden does not model pass through untouched in the same dialect.
    const body = params({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'user', content: 'Again, \u00e9\u4e2d\ud83d\ude00 "quoted"' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }],
      temperature: 0.5,
      seed: 7,
      metadata: { e2e: 'yes' },
      e2e_unknown_field: { nested: [1, 2.5, null, true] },
    });
    const opts = { headers: { 'x-mock-scenario': 'text', [unknown[0]]: unknown[1] } };
    const seen = {};
    for (const [way, url] of [['direct', stack.mockUrl], ['warden', stack.wardenUrl]]) {
      await stack.clearMockRequests();
      const completion = await client(url).chat.completions.create(body, opts);
      assert.ok(completion.choices[0].message.content.startsWith(HELLO));
      const reqs = await stack.mockRequests();
      assert.equal(reqs.length, 1, `${way}: the mock saw exactly one request, got ${reqs.length}`);
      seen[way] = reqs[0];
    }
    const w = seen.warden;
    assert.equal(w.method, 'POST');
    assert.equal(w.target, '/v1/chat/completions');
    assert.deepEqual(headerValues(w, unknown[0]), [unknown[1]], 'unknown header forwarded');
    assert.deepEqual(headerValues(w, 'authorization'), ['Bearer test-key'], 'credentials forwarded (passthrough)');
    assert.equal(w.body, seen.direct.body, 'request body forwarded byte for byte');
    const perHop = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding',
      'te', 'trailer', 'upgrade', 'accept-encoding', 'proxy-connection', 'proxy-authorization']);
    const endToEnd = (rec) => rec.headers
      .map(([k, v]) => [k.toLowerCase(), v])
      .filter(([k]) => !perHop.has(k))
      .map(([k, v]) => `${k}: ${v}`)
      .sort();
    assert.deepEqual(endToEnd(w), endToEnd(seen.direct));
  });

  test('byte-identical SSE and JSON bodies with plain fetch', CASE_TIMEOUT, async () => {
    const streamBody = JSON.stringify(params({ stream: true }));
    const usageBody = JSON.stringify(params({ stream: true, stream_options: { include_usage: true } }));
    const wholeBody = JSON.stringify(params());
    const get = async (base, scenarioName, reqBody) => {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-key', 'content-type': 'application/json', 'x-mock-scenario': scenarioName },
        body: reqBody,
        signal: AbortSignal.timeout(20_000),
      });
      const { text, error } = await readBody(res);
      return {
        status: res.status,
        contentType: res.headers.get('content-type'),
        requestId: res.headers.get('x-request-id'),
        ratelimit: [...res.headers].filter(([k]) => k.startsWith('x-ratelimit-')).sort(),
        retryAfter: res.headers.get('retry-after'),
        text,
        error,
      };
    };
    const checks = [
      ...['text', 'tool_use', 'two_tools', 'thinking', 'midstream_error'].map((s) => [s, streamBody, 'stream']),
      ...['text', 'two_tools'].map((s) => [s, usageBody, 'stream+usage']),
      ['text', wholeBody, 'non-stream'],
      ['tool_use', wholeBody, 'non-stream'],
      ['error_429', streamBody, 'stream'],
      ['error_503', wholeBody, 'non-stream'],
    ];
    const failures = [];
    for (const [s, reqBody, kind] of checks) {
      const label = `${s} (${kind})`;
      const d = await get(stack.mockUrl, s, reqBody);
      assert.ok(d.text.length > 0 && d.error === null, `${label}: direct body`);
      if (kind.startsWith('stream') && d.status === 200) {
        // The mock's own stream obeys the grammar the test expects through Warden.
        const parsed = parseSSE(d.text);
        assert.equal(parsed.tail, '', `${label}: direct stream ends on an event boundary`);
        checkOpenAIStream(parsed.events, { includeUsage: kind === 'stream+usage', complete: s !== 'midstream_error' });
      }
      try {
        const w = await get(stack.wardenUrl, s, reqBody).catch((err) => {
          throw new Error(`${label}: fetch through Warden failed: ${err.message}: ${err.cause?.message ?? ''}`);
        });
        assert.ok(w.requestId, `${label}: x-request-id header through Warden`);
        const got = { status: w.status, contentType: w.contentType, ratelimit: w.ratelimit, retryAfter: w.retryAfter, error: w.error };
        const want = { status: d.status, contentType: d.contentType, ratelimit: d.ratelimit, retryAfter: d.retryAfter, error: null };
        assert.deepEqual(got, want, `${label}: status/headers`);
        assert.equal(w.text, d.text, `${label}: body differs`);
      } catch (err) {
        failures.push(err.message);
      }
    }
    assert.deepEqual(failures, []);
  });
});

describe('OpenAI SDK straight at the mock', () => {
  test('models.list answers in OpenAI shape', CASE_TIMEOUT, async () => {
    const models = [];
    for await (const m of client(stack.mockUrl).models.list()) models.push(plain(m));
    assert.deepEqual(models, [{ id: 'gpt-mock-1', object: 'model', created: 1700000000, owned_by: 'warden-mock' }]);
  });

  test('the scenario marker in the last user message selects the scenario', CASE_TIMEOUT, async () => {
    const completion = await client(stack.mockUrl).chat.completions.create(params({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather? [[scenario:tool_use]]' }] }],
    }));
    assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    const reqs = await stack.mockRequests();
    assert.ok(reqs.some((r) => r.target === '/v1/chat/completions'), 'the request is recorded');
  });
});
