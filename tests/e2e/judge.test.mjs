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

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeConfig } from './harness.mjs';
import { CASE_TIMEOUT, MODES, ask as askScenario, blockTypes, policyEventsDuring, useStack } from './sdk_modes.mjs';

const BASH_TEXT = 'Running it now.';
const MESSAGE = 'Warden blocked a call to tool `{tool_name}`: {explanation} (risk {probability})';
const RM_EXPLANATION = 'The command deletes files recursively.';
const BLOCKED_RM = `Warden blocked a call to tool \`Bash\`: ${RM_EXPLANATION} (risk 0.95)`;

/** A field of a `policy event` line: in its detail, else at the top. */
const eventField = (line, key) => (line.detail && key in line.detail ? line.detail[key] : line[key]);

/** A stack with `policy` (judgeConfig: providers anthropic, judge, judge_openai) for the enclosing describe(); see useStack(). */
const usePolicy = (policy) => useStack((mockUrl) => judgeConfig(mockUrl, policy));

/** Every case here asks the `bash` scenario: one Bash call per `[[command:…]]` in `prompt`. */
const ask = (suite, mode, prompt) => askScenario(suite, mode, { scenario: 'bash', prompt });

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
  const suite = usePolicy({
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
  const suite = usePolicy({
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
