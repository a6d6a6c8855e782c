// End-to-end: every built-in policy, driven through both official SDKs —
// @anthropic-ai/sdk against POST /v1/messages and openai-node against
// POST /v1/chat/completions — each streaming and non-streaming, through a real
// `warden serve` in front of `warden mock-upstream`.
//
// One stack per policy configuration (harness.policyConfig: one Anthropic
// provider, the mock; claude-* routed to it; stream.validate on). The OpenAI
// SDK asks for claude-mock-1 too, so Warden translates both ways and both SDKs
// reach the same Anthropic-dialect mock; the policies see the same events.
//
// Every case asserts what the SDK hands to its caller. After each stack, the
// Warden log must show every stream validated against the client's grammar
// with no violations.
//
// Scenarios (docs/mock-upstream.md) are chosen with the `x-mock-scenario`
// header; `echo` answers with the request body it received, in pieces of at
// most 32 bytes, so words put in the prompt come back split across deltas;
// `bash` answers one Bash tool call per `[[command:…]]` marker.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { policyConfig } from './harness.mjs';
import {
  CASE_TIMEOUT, MODEL, MODES, anthropicClient, ask, blockTypes, logDuring, openaiClient, plain, useStack,
} from './sdk_modes.mjs';

const HELLO = 'Hello from the mock upstream. This answer is scripted, so every run streams the same twenty text deltas.';
const WEATHER_TEXT = "I'll check the weather in San Francisco.";
const WEATHER_INPUT = { location: 'San Francisco, CA', unit: 'celsius' };
const TIME_INPUT = { timezone: 'America/Los_Angeles' };
const THINKING = 'The user wants a greeting. A short, friendly answer is enough.';
const BASH_TEXT = 'Running it now.';

const count = (text, word) => text.split(word).length - 1;

/** A stack with `policy` (policyConfig: the mock as the one provider) for the enclosing describe(); see useStack(). */
const usePolicy = (policy) => useStack((mockUrl) => policyConfig(mockUrl, policy));

/** Asserts the answer's tool calls by name and input (ids checked where given). */
function assertTools(answer, expected) {
  assert.deepEqual(answer.tools.map(({ name, input }) => ({ name, input })),
    expected.map(({ name, input }) => ({ name, input })), `tool calls: ${JSON.stringify(answer.tools)}`);
  expected.forEach((e, i) => {
    if (e.id) assert.equal(answer.tools[i].id, e.id);
  });
}

// ---------------------------------------------------------------------------

describe('policy noop: answers equal the mock\'s own', () => {
  const suite = usePolicy({ type: 'noop' });
  for (const mode of MODES) {
    for (const scenario of ['text', 'tool_use', 'two_tools', 'thinking']) {
      test(`${mode.name}: ${scenario}`, CASE_TIMEOUT, async () => {
        const through = await ask(suite, mode, { scenario });
        // The mock answers the OpenAI SDK in OpenAI's form with the same content;
        // tool call ids differ there by design (call_… vs. toolu_…).
        const direct = await ask(suite, mode, { scenario, base: suite.stack.mockUrl });
        const strip = (a) => ({ ...a, tools: a.tools.map(({ name, input }) => ({ name, input })) });
        if (mode.sdk === 'anthropic') {
          assert.deepEqual(through, direct);
        } else {
          assert.deepEqual(strip(through), strip(direct));
        }
      });
    }
  }
});

describe('policy all_caps', () => {
  const suite = usePolicy({ type: 'all_caps' });
  for (const mode of MODES) {
    test(`${mode.name}: text is upper-cased`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'text' });
      assert.equal(a.text, HELLO.toUpperCase());
      assert.equal(a.stop, 'end_turn');
      if (mode.stream) {
        assert.equal(a.deltas.length, 20, 'still 20 deltas');
        for (const d of a.deltas) assert.equal(d, d.toUpperCase(), `delta ${JSON.stringify(d)}`);
      }
    });

    test(`${mode.name}: tool input is left alone`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'tool_use' });
      assert.equal(a.text, WEATHER_TEXT.toUpperCase());
      assertTools(a, [{ name: 'get_weather', input: WEATHER_INPUT }]);
      assert.equal(a.stop, 'tool_use');
    });

    test(`${mode.name}: only ASCII letters change, UTF-8 stays intact`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'echo', prompt: 'Grüße aus Köln, café – naïve façade 東京 ok' });
      assert.ok(a.text.includes('GRüßE AUS KöLN, CAFé – NAïVE FAçADE 東京 OK'), a.text);
      assert.equal(a.text, a.text.replace(/[a-z]/g, (c) => c.toUpperCase()));
    });

    test(`${mode.name}: thinking is left alone`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'thinking' });
      assert.equal(a.text, 'HELLO AFTER THINKING.');
      if (mode.sdk === 'anthropic') {
        assert.deepEqual(blockTypes(a), ['thinking', 'text']);
        assert.equal(a.blocks[0].thinking, THINKING);
        assert.ok(a.blocks[0].signature.length > 0);
      }
    });
  }
});

describe('policy debug_logging: changes nothing, logs every hook', () => {
  const suite = usePolicy({ type: 'debug_logging' });

  /** The `policy hook` lines Warden logged while `fn` ran (waits for the last hook of the transaction). */
  async function hooksDuring(mode, fn) {
    const last = mode.stream ? 'on_stream_complete' : 'on_response';
    const { result, lines } = await logDuring(suite, fn, (ls) => ls.some((l) => l.msg === 'policy hook' && l.hook === last));
    return { result, lines: lines.filter((l) => l.msg === 'policy hook') };
  }

  for (const mode of MODES) {
    test(`${mode.name}: text unchanged, hooks logged`, CASE_TIMEOUT, async () => {
      const { result: a, lines } = await hooksDuring(mode, () => ask(suite, mode, { scenario: 'text' }));
      assert.equal(a.text, HELLO);
      assert.equal(a.stop, 'end_turn');
      if (mode.stream) assert.equal(a.deltas.length, 20);
      const hooks = new Set(lines.map((l) => l.hook));
      const expected = ['on_request', 'on_chunk_received', 'on_content_delta', 'on_content_complete',
        'on_finish_reason', 'on_stream_complete'];
      if (!mode.stream) expected.push('on_response');
      for (const h of expected) assert.ok(hooks.has(h), `no ${h} line in ${JSON.stringify([...hooks])}`);
      assert.equal(new Set(lines.map((l) => l.transaction)).size, 1, 'all lines name one transaction');
      const request = lines.find((l) => l.hook === 'on_request');
      assert.equal(request.model, MODEL);
      assert.equal(request.stream, mode.stream);
      assert.equal(request.dialect, mode.sdk);
      const deltas = lines.filter((l) => l.hook === 'on_content_delta');
      if (mode.stream) {
        assert.equal(deltas.length, 20, 'one on_content_delta per text delta');
        assert.equal(deltas.map((l) => l.preview).join(''), HELLO);
      } else {
        assert.equal(deltas.map((l) => l.preview).join(''), HELLO, 'the whole message replayed as deltas');
        const response = lines.find((l) => l.hook === 'on_response');
        assert.equal(response.stop_reason, 'end_turn');
        assert.equal(response.blocks, 1);
      }
      assert.equal(lines.find((l) => l.hook === 'on_finish_reason').stop_reason, 'end_turn');
    });

    test(`${mode.name}: tool call unchanged, tool hooks logged`, CASE_TIMEOUT, async () => {
      const { result: a, lines } = await hooksDuring(mode, () => ask(suite, mode, { scenario: 'tool_use' }));
      assert.equal(a.text, WEATHER_TEXT);
      assertTools(a, [{ name: 'get_weather', input: WEATHER_INPUT }]);
      assert.equal(a.stop, 'tool_use');
      const complete = lines.find((l) => l.hook === 'on_tool_call_complete');
      assert.ok(complete, 'an on_tool_call_complete line');
      assert.equal(complete.tool, 'get_weather');
      const argDeltas = lines.filter((l) => l.hook === 'on_tool_call_delta');
      assert.ok(argDeltas.length >= 1, 'on_tool_call_delta lines');
      assert.deepEqual(JSON.parse(argDeltas.map((l) => l.preview).join('')), WEATHER_INPUT);
    });
  }
});

// "watermelon " repeated 32 times: an 11-byte stride is coprime to the echo's
// 32-byte pieces, so some copies straddle a delta boundary whatever the offset;
// the 39-byte phrase cannot fit in one piece at all.
const REPLACE_PROMPT = [
  'watermelon '.repeat(32),
  'Acme: ACME Corporation International Holdings signed.',
  'Ref order-12345 shipped.',
  'Fruit: Banana, bAnAnA.',
].join(' ');

describe('policy string_replacement', () => {
  const suite = usePolicy({
    type: 'string_replacement',
    replacements: [
      { find: 'watermelon', replace: 'kiwi' },
      { find: 'ACME Corporation International Holdings', replace: 'the customer' },
      // A regex holds back max_match_bytes (default 256, the whole echo): 32 here so text streams on.
      { find: 'order-(\\d+)', replace: 'ORDER#\\1', regex: true, max_match_bytes: 32 },
      { find: 'banana', replace: 'cherry', case_insensitive: true },
      // For the thinking scenario: text blocks only, never thinking.
      { find: 'greeting', replace: 'salutation' },
      { find: 'after thinking', replace: 'after some thought' },
      { find: 'Grüße', replace: 'Greetings' },
    ],
  });
  for (const mode of MODES) {
    test(`${mode.name}: matches are replaced, also across delta boundaries`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'echo', prompt: REPLACE_PROMPT });
      assert.ok(a.text.includes('"model":"claude-mock-1"'), `the echo of the request: ${a.text.slice(0, 80)}`);
      assert.ok(!a.text.includes('watermelon'), a.text);
      assert.equal(count(a.text, 'kiwi '), 32, a.text);
      assert.ok(!a.text.includes('ACME Corporation'), a.text);
      assert.ok(a.text.includes('Acme: the customer signed.'), a.text);
      assert.ok(!a.text.includes('order-12345'), a.text);
      assert.ok(a.text.includes('Ref ORDER#12345 shipped.'), a.text);
      assert.ok(!/banana/i.test(a.text), a.text);
      assert.ok(a.text.includes('Fruit: cherry, cherry.'), a.text);
      assert.equal(a.stop, 'end_turn');
      if (mode.stream) {
        assert.ok(a.deltas.length > 1, 'several deltas');
        for (const d of a.deltas) assert.ok(!d.includes('watermelon') && !/banana/i.test(d), d);
      }
      if (mode.sdk === 'anthropic') assert.deepEqual(blockTypes(a), ['text']);
    });

    test(`${mode.name}: a multi-byte find, split across deltas`, CASE_TIMEOUT, async () => {
      // 9 bytes a copy: over 32 copies the 32-byte pieces cut it at every offset.
      const a = await ask(suite, mode, { scenario: 'echo', prompt: 'Grüße! '.repeat(32) + 'Köln' });
      assert.ok(!a.text.includes('Grüße'), a.text);
      assert.equal(count(a.text, 'Greetings! '), 32, a.text);
      assert.ok(a.text.includes('Köln'), a.text);
      if (mode.stream) for (const d of a.deltas) assert.ok(!d.includes('\uFFFD'), `a delta with a broken character: ${d}`);
    });

    test(`${mode.name}: text without a match is unchanged`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'text' });
      assert.equal(a.text, HELLO);
    });

    test(`${mode.name}: a long text without a match streams on (only the holdback waits)`, CASE_TIMEOUT, async () => {
      const prompt = 'lorem ipsum dolor sit amet '.repeat(80).trim();
      const a = await ask(suite, mode, { scenario: 'echo', prompt });
      assert.ok(a.text.includes(`"${prompt}"`), a.text);
      // ~70 echo pieces of 32 bytes; held back are at most a few hundred bytes.
      if (mode.stream) assert.ok(a.deltas.length >= 40, `${a.deltas.length} deltas`);
    });

    test(`${mode.name}: text blocks only, thinking untouched`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'thinking' });
      assert.equal(a.text, 'Hello after some thought.');
      if (mode.sdk === 'anthropic') {
        assert.deepEqual(blockTypes(a), ['thinking', 'text']);
        assert.equal(a.blocks[0].thinking, THINKING, 'the thinking still says "greeting"');
        assert.ok(a.blocks[0].signature.length > 0);
      }
    });
  }

  test('concurrent streams through one policy object stay separate', CASE_TIMEOUT, async () => {
    const jobs = [];
    for (let i = 0; i < 3; i++) {
      for (const mode of MODES) {
        const prompt = `${REPLACE_PROMPT} tag-${i}-${mode.sdk}`;
        jobs.push(ask(suite, mode, { scenario: 'echo', prompt }).then((a) => ({ a, i, mode })));
      }
    }
    for (const { a, i, mode } of await Promise.all(jobs)) {
      assert.equal(count(a.text, 'kiwi '), 32, `${mode.name} #${i}`);
      assert.ok(!a.text.includes('watermelon'));
      assert.ok(a.text.includes('Acme: the customer signed.'));
      assert.ok(a.text.includes(`tag-${i}-${mode.sdk}`), 'each client gets its own answer');
      for (const other of [0, 1, 2].filter((j) => j !== i)) assert.ok(!a.text.includes(`tag-${other}-`));
    }
  });
});

// A 40-byte key cannot fit in one 32-byte echo piece: it always straddles deltas.
const SECRET = `sk-live-${'A1b2C3d4'.repeat(4)}`;
const BLOCKED = '[redacted by Warden]';

describe('policy blocked_content', () => {
  const suite = usePolicy({
    type: 'blocked_content',
    patterns: ['sk-live-[A-Za-z0-9]{32}', 'password:\\s*\\S+'],
    message: BLOCKED,
    max_match_bytes: 64, // the holdback; the default 256 would hold the whole echo until its end
  });
  for (const mode of MODES) {
    test(`${mode.name}: a key split across deltas is cut, the rest of the block dropped`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'echo', prompt: `Public intro words. The key is ${SECRET} and AFTERMATH follows.` });
      assert.ok(a.text.includes('Public intro words.'), a.text);
      assert.ok(a.text.endsWith(`The key is ${BLOCKED}`), a.text);
      assert.equal(count(a.text, BLOCKED), 1);
      assert.ok(!a.text.includes('sk-live'), a.text);
      assert.ok(!a.text.includes('AFTERMATH'), a.text);
      assert.equal(a.stop, 'end_turn');
      if (mode.sdk === 'anthropic') assert.deepEqual(blockTypes(a), ['text']);
      if (mode.stream) {
        assert.ok(a.deltas.length > 1);
        for (const d of a.deltas) assert.ok(!d.includes('sk-'), d);
      }
    });

    test(`${mode.name}: second pattern`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'echo', prompt: 'Log in with password: hunter2 then proceed.' });
      assert.ok(a.text.endsWith(`Log in with ${BLOCKED}`), a.text);
      assert.ok(!a.text.includes('hunter2'), a.text);
      assert.ok(!a.text.includes('proceed'), a.text);
    });

    test(`${mode.name}: text without a match is unchanged`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'text' });
      assert.equal(a.text, HELLO);
    });

    test(`${mode.name}: a long text without a match streams on (only the holdback waits)`, CASE_TIMEOUT, async () => {
      const prompt = 'lorem ipsum dolor sit amet '.repeat(80).trim();
      const a = await ask(suite, mode, { scenario: 'echo', prompt });
      assert.ok(a.text.includes(`"${prompt}"`), a.text);
      // ~70 echo pieces of 32 bytes; held back are at most a few hundred bytes.
      if (mode.stream) assert.ok(a.deltas.length >= 40, `${a.deltas.length} deltas`);
    });
  }
});

const RM_EXPLANATION = 'Warden blocked a call to tool `Bash`: its arguments match `rm\\s+-rf`.';
const GET_TIME_EXPLANATION = 'Warden blocked a call to tool `get_time`: it matches the deny rule `get_time`.';

describe('policy tool_filter', () => {
  const suite = usePolicy({
    type: 'tool_filter',
    deny: [{ tool: 'Bash', argument_pattern: 'rm\\s+-rf' }, 'get_time'],
  });
  for (const mode of MODES) {
    test(`${mode.name}: a denied call becomes an explanation, the turn ends`, CASE_TIMEOUT, async () => {
      const isEvent = (l) => l.msg === 'policy event' && l.action === 'blocked_tool_call';
      const { result: a, lines } = await logDuring(suite,
        () => ask(suite, mode, { scenario: 'bash', prompt: 'Clean up. [[command:rm -rf /]]' }), (ls) => ls.some(isEvent));
      const events = lines.filter(isEvent);
      assert.equal(events.length, 1, 'one policy event logged');
      assert.equal(events[0].policy, 'tool_filter');
      assert.deepEqual(events[0].detail, {
        tool: 'Bash', id: 'toolu_mock_bash_0001', arguments: '{"command":"rm -rf /"}', reason: 'its arguments match `rm\\s+-rf`',
      });
      assert.deepEqual(a.tools, [], 'no tool call reaches the client');
      assert.equal(a.text, BASH_TEXT + RM_EXPLANATION);
      assert.equal(a.stop, 'end_turn');
      assert.equal(a.finish, mode.sdk === 'anthropic' ? 'end_turn' : 'stop');
      if (mode.sdk === 'anthropic') {
        assert.deepEqual(a.blocks.map(({ type, text }) => ({ type, text })),
          [{ type: 'text', text: BASH_TEXT }, { type: 'text', text: RM_EXPLANATION }]);
      }
    });

    test(`${mode.name}: an allowed call arrives unchanged`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'bash', prompt: 'List. [[command:ls]]' });
      assertTools(a, [{ name: 'Bash', input: { command: 'ls' }, id: mode.sdk === 'anthropic' ? 'toolu_mock_bash_0001' : undefined }]);
      assert.equal(a.text, BASH_TEXT);
      assert.equal(a.stop, 'tool_use');
      if (mode.sdk === 'anthropic') assert.deepEqual(blockTypes(a), ['text', 'tool_use']);
    });

    test(`${mode.name}: two calls, one denied`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'bash', prompt: 'Both. [[command:rm -rf /]] [[command:ls]]' });
      assertTools(a, [{ name: 'Bash', input: { command: 'ls' }, id: mode.sdk === 'anthropic' ? 'toolu_mock_bash_0002' : undefined }]);
      assert.equal(a.text, BASH_TEXT + RM_EXPLANATION);
      assert.equal(a.stop, 'tool_use');
      if (mode.sdk === 'anthropic') {
        assert.deepEqual(blockTypes(a), ['text', 'text', 'tool_use']);
        assert.equal(a.blocks[1].text, RM_EXPLANATION);
      }
    });

    test(`${mode.name}: denied by name (two_tools: get_time)`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'two_tools' });
      assertTools(a, [{ name: 'get_weather', input: WEATHER_INPUT }]);
      assert.equal(a.text, GET_TIME_EXPLANATION);
      assert.equal(a.stop, 'tool_use');
      if (mode.sdk === 'anthropic') assert.deepEqual(blockTypes(a), ['tool_use', 'text']);
    });

    test(`${mode.name}: a call no rule names passes (tool_use)`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'tool_use' });
      assert.equal(a.text, WEATHER_TEXT);
      assertTools(a, [{ name: 'get_weather', input: WEATHER_INPUT }]);
      assert.equal(a.stop, 'tool_use');
    });
  }

  // What a client parsing the stream itself sees: nothing of the denied call.
  const DENIED_PROMPT = [{ role: 'user', content: 'Clean up. [[command:rm -rf /]]' }];
  const bashScenario = { headers: { 'x-mock-scenario': 'bash' } };

  test('Anthropic SDK, raw stream events: no trace of the denied call', CASE_TIMEOUT, async () => {
    suite.streams += 1;
    const c = anthropicClient(suite.stack.wardenUrl);
    const events = [];
    const stream = await c.messages.create({ model: MODEL, max_tokens: 1024, stream: true, messages: DENIED_PROMPT }, bashScenario);
    for await (const ev of stream) events.push(plain(ev));
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    assert.equal(types.filter((t) => t === 'message_stop').length, 1);
    const starts = events.filter((e) => e.type === 'content_block_start');
    assert.deepEqual(starts.map((e) => [e.index, e.content_block.type]), [[0, 'text'], [1, 'text']]);
    assert.ok(!events.some((e) => e.delta?.type === 'input_json_delta'), 'no input_json_delta');
    assert.ok(!JSON.stringify(events).includes('rm -rf /'), 'the command never reaches the client');
    assert.equal(events.find((e) => e.type === 'message_delta').delta.stop_reason, 'end_turn');
  });

  test('OpenAI SDK, raw chunks: no trace of the denied call', CASE_TIMEOUT, async () => {
    suite.streams += 1;
    const c = openaiClient(suite.stack.wardenUrl);
    const chunks = [];
    const stream = await c.chat.completions.create({ model: MODEL, max_completion_tokens: 1024, stream: true, messages: DENIED_PROMPT }, bashScenario);
    for await (const chunk of stream) chunks.push(plain(chunk));
    assert.ok(chunks.length > 2);
    assert.ok(!chunks.some((ch) => ch.choices[0]?.delta?.tool_calls), 'no tool_calls delta');
    assert.ok(!JSON.stringify(chunks).includes('rm -rf /'), 'the command never reaches the client');
    const content = chunks.map((ch) => ch.choices[0]?.delta?.content ?? '').join('');
    assert.equal(content, BASH_TEXT + RM_EXPLANATION);
    const finishes = chunks.map((ch) => ch.choices[0]?.finish_reason).filter(Boolean);
    assert.deepEqual(finishes, ['stop']);
  });
});

describe('policy tool_filter with an allow list and a custom message', () => {
  const suite = usePolicy({
    type: 'tool_filter',
    allow: ['get_time', 'Ba?h'],
    deny: [{ tool: 'Bash', argument: 'command', argument_pattern: '^sudo\\b' }],
    message: 'Not run: {tool_name} {tool_arguments} ({reason})',
  });
  for (const mode of MODES) {
    test(`${mode.name}: a tool not on the allow list is denied (two_tools: the first call, get_weather)`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'two_tools' });
      assertTools(a, [{ name: 'get_time', input: TIME_INPUT, id: mode.sdk === 'anthropic' ? 'toolu_mock_time_0002' : undefined }]);
      assert.equal(a.text, 'Not run: get_weather {"location":"San Francisco, CA","unit":"celsius"} (it is not on the allow list)');
      assert.equal(a.stop, 'tool_use');
      if (mode.sdk === 'anthropic') assert.deepEqual(blockTypes(a), ['text', 'tool_use']);
    });

    test(`${mode.name}: a named argument matching the pattern is denied, others pass`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'bash', prompt: 'Go. [[command:sudo reboot]] [[command:echo sudo]]' });
      assertTools(a, [{ name: 'Bash', input: { command: 'echo sudo' } }]);
      assert.equal(a.text, `${BASH_TEXT}Not run: Bash {"command":"sudo reboot"} (its argument \`command\` matches \`^sudo\\b\`)`);
      assert.equal(a.stop, 'tool_use');
    });
  }
});

describe('policy chain: tool_filter → all_caps → string_replacement, in series', () => {
  const suite = usePolicy({
    type: 'chain',
    policies: [
      { type: 'tool_filter', deny: [{ tool: 'Bash', argument_pattern: 'rm\\s+-rf' }] },
      { type: 'all_caps' },
      // Sees all_caps' output: only the upper-case word exists by then.
      { type: 'string_replacement', replacements: [{ find: 'RUNNING', replace: 'Executing' }] },
    ],
  });
  for (const mode of MODES) {
    test(`${mode.name}: denied call — explanation passes through the later policies`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'bash', prompt: 'Clean up. [[command:rm -rf /]]' });
      assert.deepEqual(a.tools, []);
      assert.equal(a.text, 'Executing IT NOW.' + RM_EXPLANATION.toUpperCase());
      assert.equal(a.stop, 'end_turn');
      if (mode.sdk === 'anthropic') assert.deepEqual(blockTypes(a), ['text', 'text']);
    });

    test(`${mode.name}: two calls, one denied — the allowed input is not upper-cased`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'bash', prompt: 'Both. [[command:rm -rf /]] [[command:ls]]' });
      assertTools(a, [{ name: 'Bash', input: { command: 'ls' } }]);
      assert.equal(a.text, 'Executing IT NOW.' + RM_EXPLANATION.toUpperCase());
      assert.equal(a.stop, 'tool_use');
      if (mode.sdk === 'anthropic') assert.deepEqual(blockTypes(a), ['text', 'text', 'tool_use']);
    });

    test(`${mode.name}: plain text`, CASE_TIMEOUT, async () => {
      const a = await ask(suite, mode, { scenario: 'text' });
      assert.equal(a.text, HELLO.toUpperCase());
      assert.equal(a.stop, 'end_turn');
    });
  }

  test('OpenAI SDK, raw chunks with include_usage: the usage chunk still comes last', CASE_TIMEOUT, async () => {
    suite.streams += 1;
    const c = openaiClient(suite.stack.wardenUrl);
    const chunks = [];
    const stream = await c.chat.completions.create({
      model: MODEL, max_completion_tokens: 1024, stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Both. [[command:rm -rf /]] [[command:ls]]' }],
    }, { headers: { 'x-mock-scenario': 'bash' } });
    for await (const chunk of stream) chunks.push(plain(chunk));
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.equal(typeof last.usage.completion_tokens, 'number');
    assert.ok(chunks.slice(0, -1).every((ch) => ch.usage === null), 'usage: null on every other chunk');
    const content = chunks.map((ch) => ch.choices[0]?.delta?.content ?? '').join('');
    assert.equal(content, 'Executing IT NOW.' + RM_EXPLANATION.toUpperCase());
    const calls = chunks.flatMap((ch) => ch.choices[0]?.delta?.tool_calls ?? []);
    assert.deepEqual([...new Set(calls.map((t) => t.index))], [0], 'one tool call, index 0');
    assert.equal(calls.filter((t) => t.id).length, 1);
    assert.deepEqual(JSON.parse(calls.map((t) => t.function?.arguments ?? '').join('')), { command: 'ls' });
    assert.deepEqual(chunks.map((ch) => ch.choices[0]?.finish_reason).filter(Boolean), ['tool_calls']);
  });
});
