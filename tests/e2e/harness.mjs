// Test harness for Warden's end-to-end tests.
//
// startStack() starts `warden mock-upstream` and `warden serve` (pointed at the
// mock) on free loopback ports, waits for each one's `listening on HOST:PORT`
// line, and returns their base URLs plus helpers. stop() ends exactly the
// processes it started, by PID (SIGTERM, then SIGKILL after a grace period).
// With `config`, Warden runs with that YAML file instead (`warden serve
// --config FILE`), e.g. routingConfig() for the two-dialect routing setup.
//
// The binary is $WARDEN_BIN, else ../../build/src/warden relative to this file.
// The mock runs from $WARDEN_MOCK_BIN when set (a binary whose first argument
// is `mock-upstream`), else from the same binary.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const WARDEN_BIN = process.env.WARDEN_BIN
  ? path.resolve(process.env.WARDEN_BIN)
  : path.resolve(here, '../../build/src/warden');

export const MOCK_BIN = process.env.WARDEN_MOCK_BIN ? path.resolve(process.env.WARDEN_MOCK_BIN) : WARDEN_BIN;

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

// Every child this module started and has not yet seen exit, so that a crash
// of the test process still takes them down (by PID only).
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Env for the children: the parent's, minus anything that would configure Warden or the SDKs. */
function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('WARDEN_') || k.startsWith('ANTHROPIC_') || k.startsWith('OPENAI_')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Spawns `bin ...args` (bin defaults to WARDEN_BIN) and resolves once it printed
 * `listening on 127.0.0.1:PORT`.
 * Returns { child, url, port, log() } where log() is everything it wrote to stderr so far.
 */
export async function startProcess(name, args, env = {}, bin = WARDEN_BIN) {
  if (!existsSync(bin)) {
    throw new Error(`warden binary not found at ${bin} (set WARDEN_BIN)`);
  }
  // Every gateway records into its own fresh data directory unless told otherwise.
  if (args[0] === 'serve' && !('WARDEN_DATA_DIR' in env)) {
    env = { ...env, WARDEN_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'warden-e2e-')) };
  }
  const child = spawn(bin, args, {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  let stdout = '';
  let exited = null;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      resolve(exited);
    });
  });

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      finish(new Error(`${name}: no "listening on" line within ${START_TIMEOUT_MS} ms; stdout=${JSON.stringify(stdout)} stderr=${JSON.stringify(stderr)}`));
    }, START_TIMEOUT_MS);
    const onData = (d) => {
      stdout += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (m) finish(null, Number(m[1]));
    };
    const onExit = (code, signal) => {
      finish(new Error(`${name} exited before listening (code ${code}, signal ${signal}); stderr=${JSON.stringify(stderr)}`));
    };
    const onError = (err) => finish(new Error(`${name}: spawn failed: ${err.message}`));
    function finish(err, value) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err) {
        killPid(child);
        reject(err);
      } else {
        resolve(value);
      }
    }
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout.on('data', () => {});

  return {
    name,
    child,
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    log: () => stderr,
    exited: () => exited,
    async stop() {
      if (exited) return exited;
      killPid(child, 'SIGTERM');
      if ((await raceTimer(exitPromise, STOP_TIMEOUT_MS)) === TIMED_OUT) {
        killPid(child, 'SIGKILL');
        await raceTimer(exitPromise, STOP_TIMEOUT_MS);
      }
      return exited;
    },
  };
}

const TIMED_OUT = Symbol('timed out');

/** Resolves with promise's value, or TIMED_OUT after ms; never leaves a timer behind. */
function raceTimer(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function killPid(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * The routing setup of the two-dialect tests: one provider per dialect, both the
 * mock (the OpenAI one under its /v1 prefix); claude-* models go to the
 * Anthropic provider, gpt-* to the OpenAI one.
 */
export function routingConfig(mockUrl) {
  return [
    'listen: 127.0.0.1:0',
    'providers:',
    `  anthropic: { dialect: anthropic, base_url: "${mockUrl}" }`,
    `  openai:    { dialect: openai,    base_url: "${mockUrl}/v1" }`,
    'routes:',
    '  - { match: "claude-*", provider: anthropic }',
    '  - { match: "gpt-*",    provider: openai }',
    '',
  ].join('\n');
}

/**
 * The setup of the policy tests: one Anthropic-dialect provider (the mock),
 * claude-* routed to it, every stream checked against the client's grammar
 * (`stream.validate`), and `policy` as the `policy:` section — YAML text for
 * the value (`'{ type: all_caps }'`), or a plain object, written as JSON
 * (which YAML reads as a flow mapping; strings keep their backslashes).
 * Use as startStack({ config: (mockUrl) => policyConfig(mockUrl, policy) }).
 *
 * `providers` adds providers beside `anthropic` (e.g. a judge's), name → a
 * plain object such as { dialect: 'openai', base_url: `${mockUrl}/v1` }; see
 * judgeConfig().
 */
export function policyConfig(mockUrl, policy, { providers = {} } = {}) {
  const value = typeof policy === 'string' ? policy : JSON.stringify(policy);
  return [
    'listen: 127.0.0.1:0',
    'providers:',
    `  anthropic: { dialect: anthropic, base_url: "${mockUrl}" }`,
    ...Object.entries(providers).map(([name, provider]) => `  ${name}: ${JSON.stringify(provider)}`),
    'routes:',
    '  - { match: "claude-*", provider: anthropic }',
    'stream: { validate: true }',
    `policy: ${value}`,
    '',
  ].join('\n');
}

/**
 * policyConfig() plus the providers the judge policies ask (tool_call_judge,
 * llm_rules): `judge`, the mock's Anthropic side, and `judge_openai`, its
 * OpenAI side. The mock plays the judge by model name (`claude-mock-judge`,
 * `gpt-mock-judge`, `claude-mock-rules`, … — docs/mock-upstream.md).
 */
export function judgeConfig(mockUrl, policy) {
  return policyConfig(mockUrl, policy, {
    providers: {
      judge: { dialect: 'anthropic', base_url: mockUrl },
      judge_openai: { dialect: 'openai', base_url: `${mockUrl}/v1` },
    },
  });
}

/**
 * Starts the mock upstream and Warden in front of it.
 * config: optional function mockUrl => YAML text; Warden then runs with
 * `serve --config FILE` (a temporary file, removed by stop()) and without the
 * WARDEN_LISTEN / WARDEN_PROVIDERS_* variables (wardenEnv still applies).
 * Returns { mock, warden, mockUrl, wardenUrl, mockRequests(), clearMockRequests(), mockStats(), stop() }.
 */
export async function startStack({ wardenEnv = {}, config = null } = {}) {
  const mock = await startProcess('mock-upstream', ['mock-upstream', '--host', '127.0.0.1', '--port', '0'], {}, MOCK_BIN);
  let warden;
  let configDir = null;
  try {
    if (config) {
      configDir = mkdtempSync(path.join(os.tmpdir(), 'warden-e2e-'));
      const file = path.join(configDir, 'warden.yaml');
      writeFileSync(file, config(mock.url));
      warden = await startProcess('warden', ['serve', '--config', file], { ...wardenEnv });
    } else {
      warden = await startProcess('warden', ['serve'], {
        WARDEN_LISTEN: '127.0.0.1:0',
        WARDEN_PROVIDERS_ANTHROPIC_BASE_URL: mock.url,
        ...wardenEnv,
      });
    }
  } catch (err) {
    await mock.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
    throw err;
  }
  const stack = {
    mock,
    warden,
    mockUrl: mock.url,
    wardenUrl: warden.url,
    /** Every request the mock received since start or the last clear. */
    async mockRequests() {
      const res = await fetch(`${mock.url}/_mock/requests`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`GET /_mock/requests: ${res.status}`);
      return res.json();
    },
    async clearMockRequests() {
      const res = await fetch(`${mock.url}/_mock/requests`, { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`DELETE /_mock/requests: ${res.status}`);
      await res.arrayBuffer();
    },
    async mockStats() {
      const res = await fetch(`${mock.url}/_mock/stats`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`GET /_mock/stats: ${res.status}`);
      return res.json();
    },
    /** Stops Warden, then the mock; both by PID. Returns their exit states. */
    async stop() {
      const w = await warden.stop();
      const m = await mock.stop();
      if (configDir) rmSync(configDir, { recursive: true, force: true });
      return { warden: w, mock: m };
    },
  };
  return stack;
}

/** Value of header `name` (case-insensitive) in a mock request record's [[name, value], ...] list; all values joined by ", ". */
export function headerValues(record, name) {
  const lower = name.toLowerCase();
  return record.headers.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
}

/** Rejects after `ms` with a message naming `what`, unless `promise` settles first. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * After a client aborted a `slow` stream (20 × 200 ms): waits until the mock
 * reports that stream aborted, and asserts it was not played to completion —
 * i.e. Warden dropped its upstream request when the client left.
 */
export async function expectUpstreamAborted(stack, before) {
  const deadline = Date.now() + 15_000;
  let stats;
  for (;;) {
    stats = await stack.mockStats();
    if (stats.active_streams === 0 && stats.aborted_streams > before.aborted_streams) break;
    if (stats.completed_streams > before.completed_streams) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(stats.completed_streams, before.completed_streams,
    `the upstream stream ran to completion after the client aborted: ${JSON.stringify({ before, after: stats })}`);
  assert.equal(stats.aborted_streams, before.aborted_streams + 1, JSON.stringify({ before, after: stats }));
  assert.equal(stats.active_streams, 0);
}

/** Stops the stack and asserts both processes exited cleanly (0 or by SIGTERM). */
export async function stopCleanly(stack) {
  const exits = await stack.stop();
  for (const [name, exit] of Object.entries(exits)) {
    assert.ok(exit && (exit.code === 0 || exit.signal === 'SIGTERM'),
      `${name} did not stop cleanly: ${JSON.stringify(exit)}`);
  }
}
