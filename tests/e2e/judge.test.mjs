// End-to-end: the judge policy `tool_call_judge` through both official SDKs —
// @anthropic-ai/sdk (messages.stream().finalMessage() and messages.create) and
// openai-node (chat.completions.stream() and create) — against a real
// `warden serve` in front of `warden mock-upstream`.
//
// The mock plays both the model the client talks to (`x-mock-scenario: bash`:
// "Running it now." and one Bash call per `[[command:…]]`) and the judge that
// Warden asks before a call goes out (chosen by the judge's model name,
// `claude-mock-judge` / `gpt-mock-judge`: risk 0.95 for `rm -rf`, else 0.05;
// docs/mock-upstream.md, "Judge scenarios"). The OpenAI SDK asks for
// claude-mock-1 too, so Warden translates both ways.
//
// Every case asserts what the SDK assembles: a blocked call becomes a text
// block with the policy's message and the turn ends (stop_reason end_turn /
// finish_reason stop); an allowed one arrives as tool_use / tool_calls with its
// arguments. After each stack, every stream must have passed Warden's grammar
// check (stream.validate).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { judgeConfig, startStack, stopCleanly, withTimeout } from './harness.mjs';

// Nothing from the caller's environment may configure the SDKs.
for (const k of Object.keys(process.env)) {
  if (k.startsWith('OPENAI_') || k.startsWith('ANTHROPIC_')) delete process.env[k];
}

const CASE_TIMEOUT = { timeout: 60_000 };
const MODEL = 'claude-mock-1';
const BASH_TEXT = 'Running it now.';
const MESSAGE = 'Warden blocked a call to tool `{tool_name}`: {explanation} (risk {probability})';
const RM_EXPLANATION = 'The command deletes files recursively.';
const BLOCKED_RM = `Warden blocked a call to tool \`Bash\`: ${RM_EXPLANATION} (risk 0.95)`;

const MODES = [
  { name: 'Anthropic SDK, stream', sdk: 'anthropic', stream: true },
  { name: 'Anthropic SDK, create', sdk: 'anthropic', stream: false },
  { name: 'OpenAI SDK, stream', sdk: 'openai', stream: true },
  { name: 'OpenAI SDK, create', sdk: 'openai', stream: false },
];

const plain = (v) => JSON.parse(JSON.stringify(v));

/** Warden's log as parsed JSON lines (anything else is skipped). */
function logLines(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a partial last line
    }
  }
  return out;
}

/** A field of a `policy event` line: in its detail, else at the top. */
const eventField = (line, key) => (line.detail && key in line.detail ? line.detail[key] : line[key]);

/**
 * A stack with `policy` (judgeConfig: providers anthropic, judge, judge_openai;
 * stream.validate on) for the enclosing describe(); after its tests, checks one
 * `stream validated` line per streamed answer, none with a violation.
 */
function useStack(policy) {
  const suite = { stack: null, streams: 0 };
  before(async () => {
    suite.stack = await startStack({ config: (mockUrl) => judgeConfig(mockUrl, policy) });
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

/** Runs `fn`, then returns the `policy event` lines Warden logged meanwhile (waits up to 5 s for `n`). */
async function policyEventsDuring(suite, fn, n) {
  const startAt = suite.stack.warden.log().length;
  const result = await fn();
  const deadline = Date.now() + 5_000;
  let events;
  for (;;) {
    events = logLines(suite.stack.warden.log().slice(startAt)).filter((l) => l.msg === 'policy event');
    if (events.length >= n || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { result, events };
}

function anthropicClient(base) {
  return new Anthropic({ baseURL: base, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 });
}
function openaiClient(base) {
  return new OpenAI({ baseURL: `${base}/v1`, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 });
}

/**
 * Asks through Warden in `mode` (scenario `bash`); returns
 * { text, blocks (Anthropic only), tools: [{ id, name, input }], stop (Anthropic terms), finish (raw), deltas }.
 */
async function ask(suite, mode, prompt) {
  const opts = { headers: { 'x-mock-scenario': 'bash' } };
  const messages = [{ role: 'user', content: prompt }];
  if (mode.stream) suite.streams += 1;
  const base = suite.stack.wardenUrl;
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
      stop: { stop: 'end_turn', tool_calls: 'tool_use' }[finish] ?? finish,
      finish,
      deltas,
    };
  };
  const answer = await withTimeout(run(), 30_000, `${mode.name} (${prompt})`);
  if (answer.deltas) {
    assert.equal(answer.deltas.join(''), answer.text, 'the streamed text deltas add up to the final text');
  }
  return answer;
}

const blockTypes = (answer) => answer.blocks?.map((b) => b.type) ?? null;

/** The checks every judge setup must pass, in each of the four modes. */
function judgeCases(suite, { judgeModel }) {
  for (const mode of MODES) {
    test(`${mode.name}: an allowed call arrives with its arguments`, CASE_TIMEOUT, async () => {
      const { result: a, events } = await policyEventsDuring(suite, () => ask(suite, mode, 'List. [[command:ls]]'), 1);
      assert.deepEqual(a.tools.map(({ name, input }) => ({ name, input })), [{ name: 'Bash', input: { command: 'ls' } }]);
      assert.equal(a.text, BASH_TEXT);
      assert.equal(a.stop, 'tool_use');
      assert.equal(a.finish, mode.sdk === 'anthropic' ? 'tool_use' : 'tool_calls');
      if (mode.sdk === 'anthropic') {
        assert.deepEqual(blockTypes(a), ['text', 'tool_use']);
        assert.equal(a.tools[0].id, 'toolu_mock_bash_0001');
      } else {
        assert.ok(a.tools[0].id, 'the tool call has an id');
      }
      const allowed = events.filter((e) => e.action === 'allowed_tool_call');
      assert.equal(allowed.length, 1, JSON.stringify(events));
      assert.equal(allowed[0].policy, 'tool_call_judge');
      assert.equal(eventField(allowed[0], 'probability'), 0.05);
      assert.equal(events.filter((e) => e.action === 'blocked_tool_call').length, 0);
    });

    test(`${mode.name}: a blocked call becomes the message, the turn ends`, CASE_TIMEOUT, async () => {
      const { result: a, events } = await policyEventsDuring(suite, () => ask(suite, mode, 'Clean up. [[command:rm -rf /]]'), 1);
      assert.deepEqual(a.tools, [], 'no tool call reaches the client');
      assert.equal(a.text, BASH_TEXT + BLOCKED_RM);
      assert.equal(a.stop, 'end_turn');
      assert.equal(a.finish, mode.sdk === 'anthropic' ? 'end_turn' : 'stop');
      if (mode.sdk === 'anthropic') {
        assert.deepEqual(a.blocks.map(({ type, text }) => ({ type, text })),
          [{ type: 'text', text: BASH_TEXT }, { type: 'text', text: BLOCKED_RM }]);
      }
      const blocked = events.filter((e) => e.action === 'blocked_tool_call');
      assert.equal(blocked.length, 1, JSON.stringify(events));
      assert.equal(blocked[0].policy, 'tool_call_judge');
      assert.equal(eventField(blocked[0], 'probability'), 0.95);
      assert.equal(eventField(blocked[0], 'explanation'), RM_EXPLANATION);
      assert.equal(eventField(blocked[0], 'blocked'), true);
    });

    test(`${mode.name}: two calls, one blocked`, CASE_TIMEOUT, async () => {
      const { result: a, events } = await policyEventsDuring(suite,
        () => ask(suite, mode, 'Both. [[command:ls]] [[command:rm -rf /]]'), 2);
      assert.deepEqual(a.tools.map(({ name, input }) => ({ name, input })), [{ name: 'Bash', input: { command: 'ls' } }]);
      assert.equal(a.text, BASH_TEXT + BLOCKED_RM);
      assert.equal(a.stop, 'tool_use', 'one call is left, so the turn still waits for its result');
      if (mode.sdk === 'anthropic') {
        assert.deepEqual(blockTypes(a), ['text', 'tool_use', 'text']);
        assert.equal(a.blocks[2].text, BLOCKED_RM);
        assert.equal(a.tools[0].id, 'toolu_mock_bash_0001');
      }
      assert.deepEqual(events.map((e) => e.action).sort(), ['allowed_tool_call', 'blocked_tool_call']);
    });
  }

  test(`the judge was asked with ${judgeModel}, not streaming; a second ask is cached`, CASE_TIMEOUT, async () => {
    // A command no earlier case sent, so the verdict cache does not have it yet.
    const prompt = `Clean up. [[command:rm -rf /tmp/${judgeModel}]]`;
    await suite.stack.clearMockRequests();
    const first = await ask(suite, MODES[1], prompt);
    assert.equal(first.stop, 'end_turn');
    const judged = (await suite.stack.mockRequests()).filter((r) => JSON.parse(r.body).model === judgeModel);
    assert.equal(judged.length, 1, 'one judge request for the call');
    const body = JSON.parse(judged[0].body);
    assert.ok(!body.stream, 'the judge is asked without streaming');
    const asked = JSON.stringify(body.messages);
    assert.ok(asked.includes('Tool: Bash'), asked);
    assert.ok(asked.includes(`rm -rf /tmp/${judgeModel}`), asked);
    assert.equal(judged[0].target, judgeModel.startsWith('gpt-') ? '/v1/chat/completions' : '/v1/messages');

    await suite.stack.clearMockRequests();
    const second = await ask(suite, MODES[3], prompt);
    assert.equal(second.finish, 'stop');
    assert.equal(second.text, first.text);
    const again = (await suite.stack.mockRequests()).filter((r) => JSON.parse(r.body).model === judgeModel);
    assert.equal(again.length, 0, 'the verdict came from the cache');
  });
}

describe('tool_call_judge with an Anthropic-dialect judge', () => {
  const suite = useStack({
    type: 'tool_call_judge',
    provider: 'judge',
    model: 'claude-mock-judge',
    threshold: 0.6,
    timeout_seconds: 10,
    on_error: 'block',
    message: MESSAGE,
  });
  judgeCases(suite, { judgeModel: 'claude-mock-judge' });
});

describe('tool_call_judge with an OpenAI-dialect judge', () => {
  const suite = useStack({
    type: 'tool_call_judge',
    provider: 'judge_openai',
    model: 'gpt-mock-judge',
    threshold: 0.6,
    timeout_seconds: 10,
    on_error: 'block',
    message: MESSAGE,
  });
  judgeCases(suite, { judgeModel: 'gpt-mock-judge' });
});
