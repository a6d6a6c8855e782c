// End-to-end: the official Anthropic TypeScript SDK against the mock upstream,
// once directly and once through Warden. Every case runs both ways and asserts
// that what the SDK gives back through Warden equals what it gives back direct.
//
// Scenarios are chosen with the mock's `x-mock-scenario` header (see
// docs/mock-upstream.md).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { expectUpstreamAborted, headerValues, startStack, stopCleanly, withTimeout } from './harness.mjs';

// Nothing from the caller's environment may configure the SDK.
for (const k of Object.keys(process.env)) {
  if (k.startsWith('ANTHROPIC_')) delete process.env[k];
}

const CASE_TIMEOUT = { timeout: 60_000 };
const MODEL = 'claude-mock-1';
const HELLO = 'Hello from the mock upstream.';
const TOOL_INPUT = { location: 'San Francisco, CA', unit: 'celsius' };

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  if (!stack) return;
  // A crash of either process during the run is a failure even if every case passed.
  await stopCleanly(stack);
});

function client(baseURL) {
  return new Anthropic({ baseURL, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 });
}

const params = (extra = {}) => ({
  model: MODEL,
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Say hello.' }],
  ...extra,
});
const scenario = (name) => ({ headers: { 'x-mock-scenario': name } });

/** Plain data copy (drops the SDK's non-enumerable extras such as _request_id). */
const plain = (v) => JSON.parse(JSON.stringify(v));

/**
 * Runs fn(client) against the mock directly and through Warden; asserts the
 * two results are deep-equal and returns them.
 */
async function bothWays(fn) {
  const direct = await withTimeout(fn(client(stack.mockUrl), 'direct'), 30_000, 'direct run');
  const warden = await withTimeout(fn(client(stack.wardenUrl), 'warden'), 30_000, 'run through Warden');
  assert.deepEqual(warden, direct, 'result through Warden differs from the result direct');
  return { direct, warden };
}

/** Iterates a raw `stream: true` response; returns { events, error } (error normalized, or null). */
async function collectRaw(c, opts, extra = {}) {
  const events = [];
  let error = null;
  try {
    const stream = await c.messages.create(params({ stream: true, ...extra }), opts);
    for await (const ev of stream) events.push(plain(ev));
  } catch (err) {
    error = describeError(err);
  }
  return { events, error };
}

/** The parts of an SDK error that a client can observe, minus the per-request id. */
function describeError(err) {
  const body = err?.error && typeof err.error === 'object' ? plain(err.error) : err?.error ?? null;
  if (body && typeof body === 'object') delete body.request_id;
  return {
    class: err?.constructor?.name,
    isAPIError: err instanceof Anthropic.APIError,
    status: err?.status ?? null,
    type: err?.type ?? null,
    message: String(err?.message ?? err).replace(/req_[A-Za-z0-9]+/g, 'req_X'),
    body,
    retryAfter: err?.headers?.get?.('retry-after') ?? null,
  };
}

describe('Anthropic SDK: direct vs. through Warden', () => {
  test('messages.create (text, non-streaming)', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => plain(await c.messages.create(params(), scenario('text'))));
    assert.equal(direct.type, 'message');
    assert.equal(direct.content[0].type, 'text');
    assert.ok(direct.content[0].text.startsWith(HELLO), direct.content[0].text);
    assert.equal(direct.stop_reason, 'end_turn');
  });

  test('request id is exposed as _request_id through Warden', CASE_TIMEOUT, async () => {
    const msg = await client(stack.wardenUrl).messages.create(params(), scenario('text'));
    assert.match(msg._request_id ?? '', /^req_/);
  });

  test('messages.stream(...).finalMessage() (text)', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => {
      const stream = c.messages.stream(params(), scenario('text'));
      const textEvents = [];
      stream.on('text', (delta) => textEvents.push(delta));
      const message = plain(await stream.finalMessage());
      return { message, textEvents, finalText: await stream.finalText() };
    });
    assert.equal(direct.textEvents.length, 20, 'the text scenario streams 20 text deltas');
    assert.ok(direct.finalText.startsWith(HELLO));
    assert.equal(direct.message.stop_reason, 'end_turn');
    // The streamed message assembles to the same content as the non-streaming one.
    const whole = plain(await client(stack.wardenUrl).messages.create(params(), scenario('text')));
    assert.deepEqual(direct.message.content, whole.content);
  });

  test('raw event iteration with stream: true (text)', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays((c) => collectRaw(c, scenario('text')));
    assert.equal(direct.error, null);
    const types = direct.events.map((e) => e.type);
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    assert.equal(types.filter((t) => t === 'content_block_delta').length, 20);
  });

  test('beta resource (/v1/messages?beta=true), streaming and not', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => {
      const whole = plain(await c.beta.messages.create(params(), scenario('text')));
      const streamed = plain(await c.beta.messages.stream(params(), scenario('tool_use')).finalMessage());
      return { whole, streamed };
    });
    assert.ok(direct.whole.content[0].text.startsWith(HELLO));
    assert.deepEqual(direct.streamed.content.find((b) => b.type === 'tool_use')?.input, TOOL_INPUT);
  });

  test('messages.countTokens', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) =>
      plain(await c.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Count me.' }] })));
    assert.equal(typeof direct.input_tokens, 'number');
  });

  test('tool_use: assembled input object', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => {
      const stream = c.messages.stream(params(), scenario('tool_use'));
      const inputJsonSnapshots = [];
      stream.on('inputJson', (_partial, snapshot) => inputJsonSnapshots.push(plain(snapshot)));
      const streamed = plain(await stream.finalMessage());
      const whole = plain(await c.messages.create(params(), scenario('tool_use')));
      const raw = await collectRaw(c, scenario('tool_use'));
      return { streamed, whole, raw, inputJsonSnapshots };
    });
    for (const msg of [direct.streamed, direct.whole]) {
      assert.equal(msg.stop_reason, 'tool_use');
      const tool = msg.content.find((b) => b.type === 'tool_use');
      assert.ok(tool, 'a tool_use block');
      assert.equal(tool.name, 'get_weather');
      assert.match(tool.id, /^toolu_/);
      assert.deepEqual(tool.input, TOOL_INPUT);
    }
    assert.deepEqual(direct.inputJsonSnapshots.at(-1), TOOL_INPUT);
    const pieces = direct.raw.events.filter((e) => e.delta?.type === 'input_json_delta');
    assert.ok(pieces.length > 1, 'input arrives in several input_json_delta pieces');
    assert.equal(pieces[0].delta.partial_json, '');
  });

  test('two_tools: two tool_use blocks', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => ({
      streamed: plain(await c.messages.stream(params(), scenario('two_tools')).finalMessage()),
      whole: plain(await c.messages.create(params(), scenario('two_tools'))),
      raw: await collectRaw(c, scenario('two_tools')),
    }));
    for (const msg of [direct.streamed, direct.whole]) {
      assert.equal(msg.stop_reason, 'tool_use');
      const tools = msg.content.filter((b) => b.type === 'tool_use');
      assert.deepEqual(tools.map((t) => t.name), ['get_weather', 'get_time']);
      assert.deepEqual(tools[0].input, TOOL_INPUT);
      assert.equal(typeof tools[1].input, 'object');
    }
    assert.deepEqual(direct.streamed.content, direct.whole.content);
    const starts = direct.raw.events.filter((e) => e.type === 'content_block_start').map((e) => e.index);
    assert.deepEqual(starts, starts.map((_, i) => i), 'block indices are 0, 1, … in start order');
  });

  test('thinking: thinking block and signature preserved', CASE_TIMEOUT, async () => {
    const thinking = { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 2048 };
    const { direct } = await bothWays(async (c) => ({
      streamed: plain(await c.messages.stream(params(thinking), scenario('thinking')).finalMessage()),
      whole: plain(await c.messages.create(params(thinking), scenario('thinking'))),
      raw: await collectRaw(c, scenario('thinking'), thinking),
    }));
    for (const msg of [direct.streamed, direct.whole]) {
      const block = msg.content.find((b) => b.type === 'thinking');
      assert.ok(block, 'a thinking block');
      assert.ok(block.thinking.length > 0);
      assert.ok(typeof block.signature === 'string' && block.signature.length > 0, 'signature present');
    }
    assert.deepEqual(direct.streamed.content, direct.whole.content);
    assert.equal(direct.raw.events.filter((e) => e.delta?.type === 'signature_delta').length, 1);
  });

  describe('HTTP errors surface as the SDK error class', () => {
    const cases = [
      [400, 'BadRequestError', 'invalid_request_error'],
      [401, 'AuthenticationError', 'authentication_error'],
      [403, 'PermissionDeniedError', 'permission_error'],
      [404, 'NotFoundError', 'not_found_error'],
      [429, 'RateLimitError', 'rate_limit_error'],
      [500, 'InternalServerError', 'api_error'],
      [529, 'OverloadedError', 'overloaded_error'],
    ];
    for (const [status, className, errorType] of cases) {
      test(`error_${status} → ${className}`, CASE_TIMEOUT, async () => {
        const { direct, warden } = await bothWays(async (c) => {
          const out = {};
          for (const [mode, call] of [
            ['create', () => c.messages.create(params(), scenario(`error_${status}`))],
            ['create-stream', async () => {
              const s = await c.messages.create(params({ stream: true }), scenario(`error_${status}`));
              for await (const _ of s);
            }],
            ['stream-helper', () => c.messages.stream(params(), scenario(`error_${status}`)).finalMessage()],
          ]) {
            try {
              await call();
              out[mode] = 'no error thrown';
            } catch (err) {
              out[mode] = describeError(err);
              // The SDK class, checked with instanceof against the SDK's own export.
              out[mode].instanceOfExpected = err instanceof Anthropic[className];
              out[mode].requestIdShape = /^req_/.test(err.requestID ?? '');
            }
          }
          return out;
        });
        for (const mode of Object.keys(warden)) {
          const e = warden[mode];
          assert.equal(typeof e, 'object', `${mode}: ${e}`);
          assert.equal(e.class, className, mode);
          assert.equal(e.instanceOfExpected, true, mode);
          assert.equal(e.status, status, mode);
          assert.equal(e.type, errorType, mode);
          assert.equal(e.requestIdShape, true, `${mode}: request-id header`);
          if (status === 429 || status >= 500) assert.equal(e.retryAfter, '1', `${mode}: retry-after`);
        }
        assert.deepEqual(warden, direct);
      });
    }
  });

  test('midstream_error: error thrown from the stream', CASE_TIMEOUT, async () => {
    const { direct } = await bothWays(async (c) => {
      const raw = await collectRaw(c, scenario('midstream_error'));
      let helper = null;
      const stream = c.messages.stream(params(), scenario('midstream_error'));
      const texts = [];
      stream.on('text', (t) => texts.push(t));
      try {
        await stream.finalMessage();
      } catch (err) {
        helper = describeError(err);
      }
      return { raw, helper, texts };
    });
    for (const err of [direct.raw.error, direct.helper]) {
      assert.ok(err, 'an error was thrown');
      assert.equal(err.isAPIError, true);
      assert.equal(err.type, 'overloaded_error');
    }
    assert.equal(direct.raw.events[0].type, 'message_start');
    assert.ok(direct.raw.events.some((e) => e.delta?.type === 'text_delta'), 'some text arrived before the error');
    assert.ok(!direct.raw.events.some((e) => e.type === 'message_stop'));
  });

  test('drop: a connection dropped mid-stream is an error through Warden', CASE_TIMEOUT, async () => {
    const run = async (c) => {
      const raw = await collectRaw(c, scenario('drop'));
      let helper = null;
      try {
        await c.messages.stream(params(), scenario('drop')).finalMessage();
      } catch (err) {
        helper = describeError(err);
      }
      return { raw, helper };
    };
    const direct = await withTimeout(run(client(stack.mockUrl)), 30_000, 'direct run');
    const warden = await withTimeout(run(client(stack.wardenUrl)), 30_000, 'run through Warden');
    // Through Warden the client must learn that the stream broke: raw iteration
    // throws (it must not just end), and so does the helper.
    assert.ok(warden.raw.error, `raw iteration through Warden ended without an error; events: ${JSON.stringify(warden.raw.events.map((e) => e.type))}`);
    assert.ok(warden.helper, 'finalMessage() through Warden did not throw');
    assert.ok(!warden.raw.events.some((e) => e.type === 'message_stop'), 'no message_stop after a drop');
    // Direct, the SDK sees the TCP close as an error too.
    assert.ok(direct.raw.error, 'direct raw iteration did not throw');
    // What arrived before the drop is the same both ways.
    assert.deepEqual(warden.raw.events, direct.raw.events);
    // Warden is still healthy afterwards.
    const msg = await client(stack.wardenUrl).messages.create(params(), scenario('text'));
    assert.ok(msg.content[0].text.startsWith(HELLO));
  });

  test('concurrent streams through Warden each equal their direct result', CASE_TIMEOUT, async () => {
    const scenarios = ['text', 'tool_use', 'two_tools', 'thinking', 'text', 'tool_use', 'two_tools', 'thinking'];
    const run = (url) => Promise.all(scenarios.map((s) => collectRaw(client(url), scenario(s))));
    const direct = await withTimeout(run(stack.mockUrl), 30_000, 'direct runs');
    const warden = await withTimeout(run(stack.wardenUrl), 30_000, 'runs through Warden');
    assert.ok(direct.every((r) => r.error === null && r.events.at(-1)?.type === 'message_stop'));
    assert.deepEqual(warden, direct);
  });

  test('SDK abort mid-stream through Warden cancels the upstream stream', CASE_TIMEOUT, async () => {
    const before = await stack.mockStats();
    const stream = client(stack.wardenUrl).messages.stream(params(),
      { headers: { 'x-mock-scenario': 'slow', 'x-mock-delay-ms': '200' } });
    const texts = [];
    await withTimeout(new Promise((resolve, reject) => {
      stream.on('text', (t) => {
        texts.push(t);
        if (texts.length === 2) resolve();
      });
      stream.on('error', reject);
    }), 20_000, 'first deltas of the slow stream');
    stream.abort();
    await stream.done().catch(() => {});
    await expectUpstreamAborted(stack, before);
  });

  test('request headers and body reach the mock through Warden', CASE_TIMEOUT, async () => {
    const beta = 'e2e-custom-beta-2025-01-01,interleaved-thinking-2025-05-14';
    const unknown = ['x-warden-e2e-unknown', 'some value; with=stuff'];
    // A body with fields Warden does not model: a replayed thinking block with
    // its signature, cache_control, metadata and an unknown top-level field.
    const body = params({
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      metadata: { user_id: 'e2e-user' },
      messages: [
        { role: 'user', content: 'Say hello.' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Hmm.', signature: 'c2lnbmF0dXJlLWJ5dGVzLW11c3Qtc3Vydml2ZQ==' },
            { type: 'text', text: 'Hello.' },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'Again, \u00e9\u4e2d\ud83d\ude00 "quoted"' }] },
      ],
      e2e_unknown_field: { nested: [1, 2.5, null, true] },
    });
    const opts = { headers: { 'x-mock-scenario': 'text', 'anthropic-beta': beta, [unknown[0]]: unknown[1] } };

    const seen = {};
    for (const [way, url] of [['direct', stack.mockUrl], ['warden', stack.wardenUrl]]) {
      await stack.clearMockRequests();
      const msg = await client(url).messages.create(body, opts);
      assert.ok(msg.content[0].text.startsWith(HELLO));
      const reqs = await stack.mockRequests();
      assert.equal(reqs.length, 1, `${way}: the mock saw exactly one request, got ${reqs.length}`);
      seen[way] = reqs[0];
    }
    const w = seen.warden;
    assert.equal(w.method, 'POST');
    assert.equal(w.target, '/v1/messages');
    assert.deepEqual(headerValues(w, 'anthropic-beta'), [beta], 'anthropic-beta forwarded verbatim');
    assert.deepEqual(headerValues(w, unknown[0]), [unknown[1]], 'unknown header forwarded');
    assert.deepEqual(headerValues(w, 'authorization'), ['Bearer test-key'], 'credentials forwarded (passthrough)');
    assert.equal(w.body, seen.direct.body, 'request body forwarded byte for byte');

    // Every end-to-end header the SDK sent arrives unchanged; only hop-by-hop
    // and connection-specific ones may differ.
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
    const body = JSON.stringify(params({ stream: true }));
    const nonStreamBody = JSON.stringify(params());
    const get = async (base, scenarioName, reqBody) => {
      const res = await fetch(`${base}/v1/messages`, {
        method: 'POST',
        headers: {
          'x-api-key': 'test-key',
          'anthropic-version': '2023-06-01',
          'content-type': 'application/json',
          'x-mock-scenario': scenarioName,
        },
        body: reqBody,
        signal: AbortSignal.timeout(20_000),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      return {
        status: res.status,
        contentType: res.headers.get('content-type'),
        requestId: res.headers.get('request-id'),
        ratelimit: [...res.headers].filter(([k]) => k.startsWith('anthropic-ratelimit-')).sort(),
        bytes,
      };
    };
    const checks = [
      ...['text', 'tool_use', 'two_tools', 'thinking', 'midstream_error'].map((s) => [s, body]),
      ['text', nonStreamBody],
      ['tool_use', nonStreamBody],
      ['error_429', body],
      ['error_529', nonStreamBody],
    ];
    const failures = [];
    for (const [s, reqBody] of checks) {
      const label = `${s} (${reqBody === body ? 'stream' : 'non-stream'})`;
      const d = await get(stack.mockUrl, s, reqBody);
      assert.ok(d.bytes.length > 0, `${label}: direct body empty`);
      try {
        const w = await get(stack.wardenUrl, s, reqBody).catch((err) => {
          throw new Error(`${label}: fetch through Warden failed: ${err.message}: ${err.cause?.message ?? ''}`);
        });
        assert.match(w.requestId ?? '', /^req_/, `${label}: request-id header through Warden`);
        // An error body names the request id; the mock numbers its requests, so
        // compare against the direct body with Warden's id put in.
        const expected = Buffer.from(d.bytes.toString('utf8').split(d.requestId).join(w.requestId), 'utf8');
        const got = { status: w.status, contentType: w.contentType, ratelimit: w.ratelimit };
        const want = { status: d.status, contentType: d.contentType, ratelimit: d.ratelimit };
        assert.deepEqual(got, want, `${label}: status/headers`);
        assert.ok(w.bytes.equals(expected),
          `${label}: body differs\n--- direct ---\n${expected.toString('utf8')}\n--- warden ---\n${w.bytes.toString('utf8')}`);
      } catch (err) {
        failures.push(err.message);
      }
    }
    assert.deepEqual(failures, []);
  });
});
