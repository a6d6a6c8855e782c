// End-to-end: Claude Code itself (headless, `claude -p ... --output-format json`)
// talking to the mock upstream through Warden, compared with the same run
// pointed straight at the mock.
//
// Each run gets a fresh temporary HOME / CLAUDE_CONFIG_DIR and working
// directory, and an environment built from scratch, so no user configuration
// leaks in. Every run is bounded by RUN_TIMEOUT_MS and killed by PID after it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { headerValues, startStack, stopCleanly } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLAUDE_BIN = path.join(here, 'node_modules', '.bin', 'claude');
const RUN_TIMEOUT_MS = 120_000;
const CASE_TIMEOUT = { timeout: 2 * RUN_TIMEOUT_MS + 30_000 };
const MARKER = 'warden-e2e-ok';

let stack;
let mockText; // the text scenario's answer, as the mock gives it
const tempDirs = [];

before(async () => {
  assert.ok(existsSync(CLAUDE_BIN), `Claude Code not installed at ${CLAUDE_BIN} (run npm ci)`);
  stack = await startStack();
  const res = await fetch(`${stack.mockUrl}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-mock-scenario': 'text' },
    body: JSON.stringify({ model: 'claude-mock-1', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(10_000),
  });
  mockText = (await res.json()).content[0].text;
  assert.ok(mockText.length > 0);
});

after(async () => {
  if (stack) {
    await stopCleanly(stack);
  }
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * Runs `claude -p PROMPT --output-format json ...args` against baseUrl.
 * Returns { code, signal, timedOut, stdout, stderr, json }.
 */
async function runClaude(baseUrl, prompt, args = [], extraEnv = {}) {
  const home = await mkdtemp(path.join(os.tmpdir(), 'warden-e2e-home-'));
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'warden-e2e-cwd-'));
  tempDirs.push(home, cwd);
  const env = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    SHELL: existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh',
    LANG: 'C.UTF-8',
    TMPDIR: os.tmpdir(),
    HOME: home,
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: 'test-key',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_NON_ESSENTIAL_MODEL_CALLS: '1',
    ...extraEnv,
  };
  const child = spawn(CLAUDE_BIN, ['-p', prompt, '--output-format', 'json', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, RUN_TIMEOUT_MS);
  const { code, signal } = await new Promise((resolve) => {
    child.on('error', (err) => {
      stderr += `spawn error: ${err.message}`;
      resolve({ code: null, signal: null });
    });
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  clearTimeout(timer);
  let json = null;
  try {
    json = JSON.parse(stdout.trim().split('\n').at(-1));
  } catch {
    // left null; the assertions below report stdout
  }
  return { code, signal, timedOut, stdout, stderr, json };
}

/** What went on, for assertion messages. */
async function diagnostics(run, logBefore) {
  const reqs = await stack.mockRequests().catch((e) => `(mock requests unavailable: ${e.message})`);
  const targets = Array.isArray(reqs) ? reqs.map((r) => `${r.method} ${r.target}`) : reqs;
  return [
    `exit code ${run.code}, signal ${run.signal}, timed out ${run.timedOut}`,
    `stdout: ${run.stdout.slice(0, 4000)}`,
    `stderr: ${run.stderr.slice(-4000)}`,
    `mock saw: ${JSON.stringify(targets)}`,
    `warden log: ${stack.warden.log().slice(logBefore).slice(-4000)}`,
  ].join('\n');
}

/** Runs Claude Code once through Warden and once direct; returns both, with what the mock saw each time. */
async function bothWays(prompt, args, extraEnv) {
  const out = {};
  for (const [way, url] of [['warden', stack.wardenUrl], ['direct', stack.mockUrl]]) {
    await stack.clearMockRequests();
    const logBefore = stack.warden.log().length;
    const run = await runClaude(url, prompt, args, extraEnv);
    const requests = await stack.mockRequests();
    const wardenLog = stack.warden.log().slice(logBefore);
    const diag = await diagnostics(run, logBefore);
    assert.equal(run.timedOut, false, `${way}: Claude Code timed out\n${diag}`);
    assert.equal(run.code, 0, `${way}: Claude Code failed\n${diag}`);
    assert.ok(run.json, `${way}: no JSON result on stdout\n${diag}`);
    assert.equal(run.json.is_error, false, `${way}: Claude Code reported an error\n${diag}`);
    out[way] = { run, requests, wardenLog, diag };
  }
  // Warden must not have logged errors or warnings while serving Claude Code.
  const bad = out.warden.wardenLog.split('\n').filter((l) => /"level":"(error|warn|warning|critical)"/.test(l));
  assert.deepEqual(bad, [], 'Warden logged errors/warnings during the run');
  // Claude Code made the same API calls, and got the same answer, both ways.
  // (Only /v1/ calls count: Claude Code also sends a `HEAD /` connection
  // warm-up to the base URL, which Warden answers itself, as it should.)
  const targets = (reqs) => reqs.filter((r) => r.target.startsWith('/v1/')).map((r) => {
    let stream = '';
    try {
      stream = ` stream=${JSON.parse(r.body).stream === true}`;
    } catch {
      // no JSON body
    }
    return `${r.method} ${r.target}${stream}`;
  });
  assert.deepEqual(targets(out.warden.requests), targets(out.direct.requests),
    'Claude Code made different calls through Warden than direct');
  assert.equal(out.warden.run.json.result, out.direct.run.json.result, 'final result text differs');
  assert.equal(out.warden.run.json.num_turns, out.direct.run.json.num_turns, 'number of turns differs');
  return out;
}

/** Text of a tool_result block's content (string or list of text blocks). */
function toolResultText(block) {
  if (typeof block.content === 'string') return block.content;
  if (Array.isArray(block.content)) return block.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
  return '';
}

describe('Claude Code through Warden', () => {
  test('text answer (scenario chosen by ANTHROPIC_CUSTOM_HEADERS)', CASE_TIMEOUT, async () => {
    const { warden } = await bothWays('Say hello.', [], { ANTHROPIC_CUSTOM_HEADERS: 'x-mock-scenario: text' });
    assert.ok(warden.run.json.result.includes(mockText),
      `result ${JSON.stringify(warden.run.json.result)} lacks the mock's text\n${warden.diag}`);
    const messageCalls = warden.requests.filter((r) => r.target.startsWith('/v1/messages') && !r.target.includes('count_tokens'));
    assert.ok(messageCalls.length >= 1, `no /v1/messages call reached the mock\n${warden.diag}`);
    for (const r of messageCalls) {
      assert.deepEqual(headerValues(r, 'x-mock-scenario'), ['text'], 'custom header forwarded');
      assert.deepEqual(headerValues(r, 'x-api-key'), ['test-key'], 'API key forwarded');
    }
  });

  test('text answer (scenario chosen by --model claude-mock-text)', CASE_TIMEOUT, async () => {
    const { warden } = await bothWays('Say hello.', ['--model', 'claude-mock-text']);
    assert.ok(warden.run.json.result.includes(mockText),
      `result ${JSON.stringify(warden.run.json.result)} lacks the mock's text\n${warden.diag}`);
    const models = warden.requests
      .filter((r) => r.target.startsWith('/v1/messages') && r.body)
      .map((r) => JSON.parse(r.body).model);
    assert.ok(models.includes('claude-mock-text'), `model not forwarded: ${JSON.stringify(models)}`);
  });

  test('tool round trip: Bash(echo) and the tool result back to the model', CASE_TIMEOUT, async () => {
    const { warden } = await bothWays('Run the marker command and tell me what it printed.',
      ['--allowedTools', 'Bash(echo:*)'],
      { ANTHROPIC_CUSTOM_HEADERS: 'x-mock-scenario: claude_code' });
    const { json } = warden.run;
    assert.ok(json.result.includes('Tool said:'), `result: ${JSON.stringify(json.result)}\n${warden.diag}`);
    assert.ok(json.result.includes(MARKER), `result: ${JSON.stringify(json.result)}\n${warden.diag}`);
    assert.deepEqual(json.permission_denials ?? [], [], 'the Bash call was not denied');
    // The model's tool call reached Claude Code, which ran it and sent the
    // result back through Warden.
    const withResult = warden.requests.filter((r) => {
      if (!r.target.startsWith('/v1/messages') || !r.body) return false;
      const body = JSON.parse(r.body);
      return (body.messages ?? []).some((m) => Array.isArray(m.content) && m.content.some(
        (b) => b.type === 'tool_result' && toolResultText(b).includes(MARKER)));
    });
    assert.ok(withResult.length >= 1, `no request carried a tool_result with ${MARKER}\n${warden.diag}`);

    // Warden recorded the run as one session: the tool call in one answer,
    // its result in a later request, readable back from the admin API.
    const admin = async (target) => {
      const res = await fetch(`${stack.wardenUrl}${target}`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200, `${target}: ${res.status}`);
      return res.json();
    };
    let session = '';
    let listed = [];
    for (let i = 0; i < 100 && listed.length < withResult.length + 1; i++) {
      const recent = (await admin('/admin/transactions?limit=20')).transactions;
      session = recent.find((t) => t.session_id)?.session_id ?? '';
      if (session) listed = (await admin(`/admin/transactions?session=${encodeURIComponent(session)}`)).transactions;
      if (listed.length < withResult.length + 1) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(session, 'Claude Code\'s session id was not recorded');
    const details = await Promise.all(listed.reverse().map((t) => admin(`/admin/transactions/${t.id}`)));
    const calledAt = details.findIndex((d) => (d.response.final?.content ?? []).some(
      (b) => b.type === 'tool_use' && b.name === 'Bash'));
    const resultAt = details.findIndex((d) => (d.request.original?.messages ?? []).some(
      (m) => Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_result' && toolResultText(b).includes(MARKER))));
    assert.ok(calledAt >= 0, `no recorded answer in session ${session} holds the Bash call`);
    assert.ok(resultAt > calledAt, `the tool result (${resultAt}) does not follow the call (${calledAt})`);
    assert.ok(details[resultAt].response.final.content.some((b) => b.type === 'text' && b.text.includes(MARKER)));
    for (const d of details) {
      assert.equal(d.status, 200);
      assert.equal(d.request_headers['x-api-key'], '[redacted]');
    }
  });
});
