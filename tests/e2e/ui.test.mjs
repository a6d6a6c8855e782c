// End-to-end: Warden's web UI (/ui/…) in a real browser — Debian's Chromium,
// headless, driven by playwright-core (no browser download: executablePath
// /usr/bin/chromium) — against a real `warden serve` in front of
// `warden mock-upstream`, with traffic sent through Warden from Node.
//
// Policy chain under test: tool_filter denies Bash calls matching `shred`;
// tool_call_judge (the mock playing the judge) blocks `rm -rf` with an
// explanation; string_replacement turns the mock's word "scripted" into
// "rehearsed", so the diff has replaced text.
//
// Every wait is bounded; each page gets a screenshot in build/ui-screenshots/.
// The page must log no errors (a CSP violation is one) and open no dialog.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { MOCK_BIN, judgeConfig, policyConfig, startProcess, startStack, stopCleanly } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCREENSHOTS = path.resolve(here, '../../build/ui-screenshots');
const CHROMIUM = process.env.WARDEN_CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 10_000;
const TEST = { timeout: 60_000 };
const MODEL = 'claude-mock-1';
const CLIENT_KEY = 'sk-ant-ui-test-client-key-0001';

const POLICY = {
  type: 'chain',
  policies: [
    { type: 'tool_filter', deny: [{ tool: 'Bash', argument_pattern: 'shred' }] },
    { type: 'tool_call_judge', provider: 'judge', model: 'claude-mock-judge', tools: ['Bash'] },
    { type: 'string_replacement', replacements: [{ find: 'scripted', replace: 'rehearsed' }] },
  ],
};

let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  // launch() runs Chromium on a fresh temporary profile (user data dir) and removes it after.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
});

after(async () => {
  await browser?.close();
});

/**
 * A fresh browser context and page that records problems: page errors,
 * console errors (CSP violations included) and dialogs (alert() must never run).
 * `allow`: console messages matching it are expected (e.g. a 401 while logged out).
 */
async function openPage({ allow = null, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const problems = [];
  const dialogs = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (allow && allow.test(msg.text())) return;
    problems.push(`console error: ${msg.text()}`);
  });
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  return {
    page,
    dialogs,
    problems,
    async close() {
      await context.close();
      assert.deepEqual(dialogs, [], 'no dialog may open');
      assert.deepEqual(problems, [], 'the page logged errors');
    },
  };
}

const shot = (page, name) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });

/** Sends a /v1/messages request through Warden; resolves at the response head. */
async function send(url, { scenario = 'text', prompt = 'hi', stream = false, session = 'ui-session-1', delayMs, key = CLIENT_KEY } = {}) {
  const headers = {
    'content-type': 'application/json',
    'anthropic-version': '2023-06-01',
    'x-api-key': key,
    'x-mock-scenario': scenario,
    'x-session-id': session,
  };
  if (delayMs) headers['x-mock-delay-ms'] = String(delayMs);
  const res = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: MODEL, max_tokens: 256, stream, messages: [{ role: 'user', content: prompt }] }),
    signal: AbortSignal.timeout(20_000),
  });
  const id = res.headers.get('x-warden-transaction-id');
  assert.ok(id, 'every answer names its transaction');
  return { res, id };
}

/** Sends and reads the whole answer. */
async function exchange(url, options) {
  const { res, id } = await send(url, options);
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return { id, body };
}

/** Waits until the admin API has recorded transaction `id` (the UI reads the same). */
async function recorded(url, id, headers = {}) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const res = await fetch(`${url}/admin/transactions/${id}`, { headers, signal: AbortSignal.timeout(5_000) });
    if (res.ok) return res.json();
    await res.arrayBuffer();
    assert.ok(Date.now() < deadline, `transaction ${id} was not recorded within ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const row = (page, id) => page.locator(`tr.tx-row[data-id="${id}"]`);

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------

describe('web UI: pages against a gateway with a policy chain', () => {
  let stack;
  let url;
  const ids = {};

  before(async () => {
    stack = await startStack({ config: (mockUrl) => judgeConfig(mockUrl, POLICY) });
    url = stack.wardenUrl;
  });
  after(async () => {
    if (stack) await stopCleanly(stack);
  });

  test('the UI is served with its assets and a strict CSP', TEST, async () => {
    for (const p of ['/ui', '/ui/', '/ui/activity', '/ui/history', '/ui/policy', '/ui/transactions/txn_x']) {
      const res = await fetch(`${url}${p}`, { signal: AbortSignal.timeout(5_000) });
      const text = await res.text();
      assert.equal(res.status, 200, p);
      assert.match(res.headers.get('content-type') || '', /text\/html/, p);
      assert.match(text, /\/ui\/assets\/app\.js/, p);
      const csp = res.headers.get('content-security-policy') || '';
      assert.match(csp, /script-src 'self'/, `${p}: ${csp}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${p}: ${csp}`);
    }
    for (const [asset, type] of [['app.js', /javascript/], ['style.css', /text\/css/]]) {
      const res = await fetch(`${url}/ui/assets/${asset}`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      assert.equal(res.status, 200, asset);
      assert.match(res.headers.get('content-type') || '', type, asset);
    }
  });

  test('live activity: a streamed transaction appears while it streams, then finishes', TEST, async () => {
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/activity`);
    await page.locator('#conn[data-state="live"]').waitFor();
    // `slow`: 20 deltas, 150 ms apart — three seconds of streaming to watch.
    const { res, id } = await send(url, { scenario: 'slow', stream: true, delayMs: 150 });
    await row(page, id).locator('.badge.running').waitFor();
    // transaction_progress events (about one a second) show the bytes sent so far.
    await row(page, id).locator('td.c-tokens', { hasText: /streaming \d+(\.\d)? (B|KiB)/ }).waitFor({ timeout: 2_500 });
    assert.match(await row(page, id).locator('td.c-model').textContent(), new RegExp(MODEL));
    assert.match(await row(page, id).locator('td.c-session').textContent(), /ui-session-1/);
    const body = await res.text();
    assert.match(body, /message_stop/);
    await row(page, id).locator('.badge.ok').waitFor();
    assert.equal((await row(page, id).locator('.badge.ok').textContent()).trim(), '200');
    await page.waitForFunction((sel) => /\d+ → \d+/.test(document.querySelector(sel)?.textContent || ''),
      `tr.tx-row[data-id="${id}"] td.c-tokens`, { timeout: WAIT_MS });
    assert.match(await row(page, id).locator('td.c-duration').textContent(), /\d(\.\d+)? s/);
    assert.equal(await row(page, id).locator('.chip.rewrite').count(), 1, 'the replaced text shows as a chip');
    ids.slow = id;
    // Pause (p) holds the view still while traffic goes on; resume shows it.
    await page.keyboard.press('p');
    await page.locator('button.pause[aria-pressed="true"]').waitFor();
    const held = await exchange(url, { scenario: 'text', session: 'ui-session-1' });
    await page.locator('button.pause', { hasText: /Resume \(\d+ new\)/ }).waitFor();
    assert.equal(await row(page, held.id).count(), 0, 'paused: no new row');
    await page.keyboard.press('p');
    await row(page, held.id).locator('.badge.ok').waitFor();
    await ui.close();
  });

  test('live activity: a blocked tool call stands out with the judge\'s explanation', TEST, async () => {
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/activity`);
    await page.locator('#conn[data-state="live"]').waitFor();
    const { id } = await exchange(url, {
      scenario: 'bash',
      stream: true,
      prompt: 'tidy up [[command:rm -rf /tmp/warden-ui-test]] and [[command:shred -u notes.txt]] then [[command:ls -la]]',
      session: 'ui-session-2',
    });
    ids.bash = id;
    await row(page, id).locator('.badge.ok, .badge.blocked').first().waitFor();
    await row(page, id).and(page.locator('.has-block')).waitFor();
    const judge = page.locator(`.ev-card.blocked[data-policy="tool_call_judge"]`).filter({ hasText: 'rm -rf /tmp/warden-ui-test' });
    await judge.waitFor();
    assert.match(await judge.textContent(), /The command deletes files recursively\./);
    assert.match(await judge.locator('.ev-prob').textContent(), /0\.95/);
    const filter = page.locator(`.ev-card.blocked[data-policy="tool_filter"]`).filter({ hasText: 'shred -u notes.txt' });
    await filter.waitFor();
    assert.match(await filter.textContent(), /shred/);
    const allowed = page.locator(`.ev-card.pass[data-policy="tool_call_judge"]`).filter({ hasText: 'ls -la' });
    await allowed.waitFor();
    // Filters: only blocked transactions, then one session.
    await exchange(url, { scenario: 'text', session: 'ui-session-3' });
    await page.locator('select.f-action').selectOption('blocked');
    await page.waitForFunction(() => [...document.querySelectorAll('tr.tx-row')].every((r) => r.classList.contains('has-block')));
    assert.ok(await row(page, id).isVisible());
    await page.locator('select.f-action').selectOption('');
    await page.locator('input.f-session').fill('ui-session-3');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('tr.tx-row')];
      return rows.length > 0 && rows.every((r) => r.querySelector('td.c-session').textContent.includes('ui-session-3'));
    });
    await page.locator('input.f-session').fill('');
    await page.locator('input.f-session').blur();
    await row(page, id).waitFor();
    await shot(page, 'activity');
    await ui.close();
  });

  test('history: search finds a transaction by a word in its response', TEST, async () => {
    const text = await exchange(url, { scenario: 'text', session: 'ui-session-4' });
    ids.text = text.id;
    assert.match(text.body, /rehearsed/, 'string_replacement rewrote the answer');
    await recorded(url, text.id);
    await recorded(url, ids.bash);
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/history`);
    await row(page, text.id).waitFor();
    await row(page, ids.bash).waitFor();
    // "rehearsed" is only in responses (string_replacement's output), never in a request.
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('search')), true, '/ focuses the search');
    await page.keyboard.type('rehearsed');
    await page.waitForURL(/[?&]q=rehearsed/);
    await page.waitForFunction((bash) => !document.querySelector(`tr.tx-row[data-id="${bash}"]`) &&
      !document.querySelector('.history-wrap.loading'), ids.bash);
    await row(page, text.id).waitFor();
    const shown = await page.locator('tr.tx-row').evaluateAll((rows) => rows.map((r) => r.dataset.id));
    assert.ok(shown.includes(text.id), `search results: ${shown}`);
    assert.ok(!shown.includes(ids.bash), `search results: ${shown}`);
    await shot(page, 'history');
    // A word that is nowhere.
    await page.locator('input.search').fill('zyzzyva-not-there');
    await page.locator('.message', { hasText: 'No transactions match.' }).waitFor();
    await ui.close();
  });

  test('history: the sessions view lists sessions and opens one; the caller filter', TEST, async () => {
    const other = await exchange(url, { scenario: 'text', key: 'sk-ant-ui-test-other-caller-0002', session: 'ui-session-5' });
    await recorded(url, other.id);
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/history?view=sessions`);
    const sessionRow = page.locator('tr.session-row[data-id="ui-session-2"]');
    await sessionRow.waitFor();
    assert.match(await sessionRow.locator('td.s-actions').textContent(), /1/);
    await sessionRow.click();
    await page.waitForURL(/\/ui\/history\?session=ui-session-2/);
    await row(page, ids.bash).waitFor();
    // The caller column filters by caller: the request sent with another key is not listed.
    const { caller } = await recorded(url, ids.bash);
    await page.goto(`${url}/ui/history`);
    await row(page, other.id).waitFor();
    await row(page, ids.bash).locator('td.c-caller a').click();
    await page.waitForURL(new RegExp(`/ui/history\\?caller=${caller}$`));
    await page.waitForFunction(([c, otherId]) => {
      const cells = [...document.querySelectorAll('tr.tx-row td.c-caller')];
      return cells.length > 1 && cells.every((td) => td.textContent === c) &&
        !document.querySelector(`tr[data-id="${otherId}"]`) && !document.querySelector('.history-wrap.loading');
    }, [caller, other.id]);
    await ui.close();
  });

  test('history: pages of 50 with the server\'s cursor, older and newer', TEST, async () => {
    const sent = [];
    for (let batch = 0; batch < 7; batch++) {
      const round = await Promise.all(Array.from({ length: 8 }, () => exchange(url, { scenario: 'text', session: 'ui-pages' })));
      sent.push(...round.map((r) => r.id));
    }
    await recorded(url, sent[sent.length - 1]);
    for (const id of sent) await recorded(url, id);
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/history?session=ui-pages`);
    const ids = () => page.locator('tr.tx-row').evaluateAll((rows) => rows.map((r) => r.dataset.id));
    await page.waitForFunction(() => document.querySelectorAll('tr.tx-row').length === 50);
    const first = await ids();
    assert.equal(await page.locator('.page-label').textContent(), 'Page 1');
    assert.ok(await page.getByRole('button', { name: '← Newer' }).isDisabled());
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.waitForURL(/cursor=/);
    await page.waitForFunction(() => document.querySelectorAll('tr.tx-row').length === 6 && !document.querySelector('.history-wrap.loading'));
    const second = await ids();
    assert.equal(await page.locator('.page-label').textContent(), 'Page 2');
    assert.ok(await page.getByRole('button', { name: 'Older →' }).isDisabled(), 'the last page');
    assert.deepEqual([...first, ...second].sort(), [...sent].sort(), 'both pages together: every transaction once');
    await page.keyboard.press('[');
    await page.waitForFunction(() => document.querySelectorAll('tr.tx-row').length === 50);
    assert.deepEqual(await ids(), first);
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('tr.tx-row').length === 6);
    await ui.close();
  });

  test('transaction: the conversation, and the diff showing the replaced text beside its policy event', TEST, async () => {
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/history?session=ui-session-4`);
    await row(page, ids.text).click();
    await page.waitForURL(new RegExp(`/ui/transactions/${ids.text}$`));
    const response = page.locator('.msg.response');
    await response.waitFor();
    assert.match(await response.textContent(), /This answer is rehearsed/);
    assert.match(await page.locator('.msg.role-user').first().textContent(), /hi/);
    await shot(page, 'transaction');
    await page.locator('nav.tx-tabs a[data-tab="diff"]').click();
    await page.waitForURL(/tab=diff/);
    const changed = page.locator('.diff-row').filter({ has: page.locator('.diff-item.changed') });
    await changed.waitFor();
    assert.equal((await changed.locator('.word-diff del').textContent()).trim(), 'scripted');
    assert.equal((await changed.locator('.word-diff ins').textContent()).trim(), 'rehearsed');
    assert.equal(await changed.locator('.ev-card[data-policy="string_replacement"]').count(), 1, 'the event sits beside the block it changed');
    await shot(page, 'diff');

    // The blocked tool call: removed, with the judge's event next to it, and the text that replaced it added.
    await page.goto(`${url}/ui/transactions/${ids.bash}?tab=diff`);
    const removed = page.locator('.diff-row').filter({ has: page.locator('.diff-item.removed') }).filter({ hasText: 'rm -rf /tmp/warden-ui-test' });
    await removed.waitFor();
    assert.match(await removed.locator('.ev-card.blocked').textContent(), /The command deletes files recursively\./);
    assert.ok(await page.locator('.diff-item.added').count() >= 2, 'the blocked calls became text');
    // Raw bytes and JSON are one click away.
    await page.locator('nav.tx-tabs a[data-tab="raw"]').click();
    assert.match(await page.locator('pre.raw').textContent(), /event: message_start/);
    await page.keyboard.press('4');
    await page.waitForURL(/tab=json/);
    const json = JSON.parse(await page.locator('pre.raw.json').textContent());
    assert.equal(json.id, ids.bash);
    await ui.close();
  });

  test('transaction: a multi-turn conversation — tool calls with arguments, tool results, thinking collapsed', TEST, async () => {
    const res = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': CLIENT_KEY, 'x-mock-scenario': 'thinking' },
      body: JSON.stringify({
        model: MODEL,
        max_tokens: 1024,
        system: 'You are a careful assistant.',
        tools: [{ name: 'get_weather', description: 'Weather for a place', input_schema: { type: 'object' } }],
        messages: [
          { role: 'user', content: 'What is the weather in Paris?' },
          { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_ui_1', name: 'get_weather', input: { location: 'Paris, FR', unit: 'celsius' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_ui_1', content: '18 °C and sunny' }] },
        ],
      }),
      signal: AbortSignal.timeout(20_000),
    });
    await res.text();
    const id = res.headers.get('x-warden-transaction-id');
    await recorded(url, id);
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/transactions/${id}`);
    await page.locator('.msg.response').waitFor();
    assert.match(await page.locator('.msg.role-system').textContent(), /You are a careful assistant\./);
    assert.match(await page.locator('.msg.role-tools').textContent(), /Tools offered · 1/);
    const call = page.locator('.tool-use[data-tool-id="toolu_ui_1"]');
    assert.match(await call.textContent(), /get_weather/);
    assert.match(await call.locator('dl.args').textContent(), /location\s*Paris, FR/);
    assert.match(await page.locator('.tool-result').textContent(), /toolu_ui_1[\s\S]*18 °C and sunny/);
    const thinking = page.locator('.msg.response details.thinking');
    assert.equal(await thinking.evaluate((d) => d.open), false, 'thinking starts collapsed');
    assert.equal(await thinking.locator('.text').isVisible(), false);
    await thinking.locator('summary').click();
    assert.match(await thinking.locator('.text').textContent(), /The user wants a greeting/);
    assert.match(await page.locator('.msg.response').textContent(), /Hello after thinking\./);
    await ui.close();
  });

  test('transaction: copy as curl rebuilds the original request, credentials as placeholders', TEST, async () => {
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/transactions/${ids.text}`);
    await page.locator('.msg.response').waitFor();
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    const command = await page.locator('textarea.curl').inputValue();
    assert.match(command, /^curl -sS -X POST '[^']+\/v1\/messages'/);
    assert.match(command, /-H "x-api-key: \$ANTHROPIC_API_KEY"/);
    assert.match(command, /<<'WARDEN_BODY'\n\{/);
    assert.doesNotMatch(command, new RegExp(CLIENT_KEY));
    assert.doesNotMatch(command, /'host:|content-length/i);
    // It runs: the same answer again, through the same gateway.
    const out = await new Promise((resolve, reject) => {
      execFile('bash', ['-c', command], { env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-from-env' }, timeout: 15_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    assert.match(out, /This answer is rehearsed/);
    await ui.close();
  });

  test('untrusted model output and tool arguments render as text, never as markup', TEST, async () => {
    const payload = '<script>window.__pwned = 1; alert("script")</script><img src=x onerror="window.__pwned = 2; alert(\'img\')">';
    // `echo` answers with the request body, so the payload comes back as model output.
    const echo = await exchange(url, { scenario: 'echo', prompt: `say ${payload}`, session: 'ui-session-xss' });
    // `bash` puts it in a tool call's arguments.
    const tool = await exchange(url, { scenario: 'bash', prompt: '[[command:echo <img src=y onerror=alert(7)><b>bold</b>]]', session: 'ui-session-xss' });
    await recorded(url, echo.id);
    await recorded(url, tool.id);
    const ui = await openPage();
    const { page } = ui;
    const noMarkup = async (where) => {
      assert.equal(await page.evaluate(() => window.__pwned), undefined, `${where}: a script ran`);
      const injected = await page.evaluate(() => document.querySelectorAll('main script, main img, main b, main iframe').length);
      assert.equal(injected, 0, `${where}: markup from the data reached the DOM`);
    };
    await page.goto(`${url}/ui/transactions/${echo.id}`);
    const response = page.locator('.msg.response');
    await response.waitFor();
    assert.ok((await response.textContent()).includes('<script>window.__pwned = 1;'), 'the payload shows as text');
    assert.ok((await response.textContent()).includes('<img src=x onerror='), 'the payload shows as text');
    await noMarkup('conversation');
    for (const tab of ['diff', 'raw', 'json', 'headers']) {
      await page.goto(`${url}/ui/transactions/${echo.id}?tab=${tab}`);
      await page.locator('.tab-body > *').first().waitFor();
      await noMarkup(tab);
    }
    await page.goto(`${url}/ui/transactions/${tool.id}`);
    const call = page.locator('.tool-use').first();
    await call.waitFor();
    assert.match(await call.textContent(), /echo <img src=y onerror=alert\(7\)><b>bold<\/b>/);
    await noMarkup('tool call');
    await page.goto(`${url}/ui/activity`);
    await page.locator('.ev-card', { hasText: '<img src=y' }).first().waitFor();
    await noMarkup('activity');
    await page.goto(`${url}/ui/history?q=${encodeURIComponent('<script>')}`);
    await row(page, echo.id).waitFor();
    await noMarkup('history');
    await ui.close();
  });

  test('policy view: the chain with its options and how often each acted', TEST, async () => {
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/policy`);
    const cards = page.locator('.policy-card');
    await cards.first().waitFor();
    assert.deepEqual(await cards.evaluateAll((els) => els.map((e) => e.dataset.type)),
      ['tool_filter', 'tool_call_judge', 'string_replacement']);
    const filter = page.locator('.policy-card[data-type="tool_filter"]');
    assert.match(await filter.locator('.policy-options').textContent(), /argument_pattern\s*shred/);
    const judge = page.locator('.policy-card[data-type="tool_call_judge"]');
    assert.match(await judge.locator('.policy-options').textContent(), /claude-mock-judge/);
    const blocked = judge.locator('.counts-table tr', { hasText: 'blocked tool call' });
    await blocked.waitFor();
    const [hour, day] = await blocked.locator('td.num').allTextContents();
    assert.ok(Number(hour) >= 1 && Number(day) >= Number(hour), `${hour} / ${day}`);
    const replaced = page.locator('.policy-card[data-type="string_replacement"] .counts-table tr', { hasText: 'replaced text' });
    assert.ok(Number((await replaced.locator('td.num').first().textContent()).trim()) >= 2);
    await shot(page, 'policy');
    // The count links to those transactions.
    await blocked.locator('td.num a').first().click();
    await page.waitForURL(/\/ui\/history\?action=tool_call_judge%3Ablocked_tool_call/);
    await row(page, ids.bash).waitFor();
    await ui.close();
  });

  test('keyboard: j/k and Enter open a transaction, Backspace goes back, g p and ?', TEST, async () => {
    const ui = await openPage();
    const { page } = ui;
    await page.goto(`${url}/ui/history`);
    await page.locator('tr.tx-row').first().waitFor();
    const first = await page.locator('tr.tx-row').nth(0).getAttribute('data-id');
    const second = await page.locator('tr.tx-row').nth(1).getAttribute('data-id');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    assert.equal(await page.locator('tr.tx-row.selected').getAttribute('data-id'), first);
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('tr.tx-row.selected').getAttribute('data-id'), second);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/ui/transactions/${second}`));
    await page.locator('.facts').waitFor();
    await page.keyboard.press('Backspace');
    await page.waitForURL(/\/ui\/history$/);
    await page.locator(`tr.tx-row.selected[data-id="${second}"]`).waitFor();
    await page.keyboard.press('g');
    await page.keyboard.press('p');
    await page.waitForURL(/\/ui\/policy$/);
    await page.keyboard.press('?');
    await page.locator('.help-card').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('.help-card').waitFor({ state: 'detached' });
    await page.keyboard.press('g');
    await page.keyboard.press('a');
    await page.waitForURL(/\/ui\/activity$/);
    // Dark mode: the toggle flips the theme and keeps it.
    await page.locator('#theme-toggle').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await page.locator('tr.tx-row').first().waitFor();
    await shot(page, 'activity-dark');
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await ui.close();
  });
});

describe('web UI: login with an admin key (no localhost exemption)', () => {
  const ADMIN_KEY = 'ui-test-admin-key-42';
  let stack;

  before(async () => {
    stack = await startStack({
      config: (mockUrl) => policyConfig(mockUrl, { type: 'noop' }),
      wardenEnv: { WARDEN_AUTH_ADMIN_KEY: ADMIN_KEY, WARDEN_AUTH_ADMIN_LOCALHOST_EXEMPT: 'false' },
    });
  });
  after(async () => {
    if (stack) await stopCleanly(stack);
  });

  test('a wrong key shows the server\'s error; the right one shows the data and the live stream', TEST, async () => {
    const url = stack.wardenUrl;
    const { id } = await exchange(url, { scenario: 'text', session: 'ui-login' });
    await recorded(url, id, { authorization: `Bearer ${ADMIN_KEY}` });
    // The browser logs each refused admin request as a console error: expected here.
    const ui = await openPage({ allow: /status of 401/ });
    const { page } = ui;
    await page.goto(`${url}/ui/history`);
    const form = page.locator('form.login-card');
    await form.waitFor();
    assert.match(await page.locator('.login-error').textContent(), /Admin key required/);
    await shot(page, 'login');
    await page.locator('#admin-key').fill('not-the-key');
    await page.locator('form.login-card button[type="submit"]').click();
    await page.locator('.login-error', { hasText: 'Invalid admin key' }).waitFor();
    assert.ok(await form.isVisible(), 'still on the login form');
    await page.locator('#admin-key').fill(ADMIN_KEY);
    await page.keyboard.press('Enter');
    await row(page, id).waitFor();
    await page.locator('#conn[data-state="live"]').waitFor();
    // Live traffic arrives too (the stream sent the key).
    await page.goto(`${url}/ui/activity`);
    await page.locator('#conn[data-state="live"]').waitFor();
    const next = await exchange(url, { scenario: 'text', session: 'ui-login' });
    await row(page, next.id).locator('.badge.ok').waitFor();
    // Signing out forgets the key.
    await page.locator('#logout').click();
    await form.waitFor();
    await ui.close();
  });
});

describe('web UI: live activity survives a gateway restart', () => {
  let mock;
  let warden;
  let dataDir;
  let configDir;

  after(async () => {
    await warden?.stop();
    await mock?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  test('the page reconnects to the new gateway and shows its traffic', TEST, async () => {
    mock = await startProcess('mock-upstream', ['mock-upstream', '--host', '127.0.0.1', '--port', '0'], {}, MOCK_BIN);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'warden-ui-data-'));
    configDir = mkdtempSync(path.join(os.tmpdir(), 'warden-ui-conf-'));
    const file = path.join(configDir, 'warden.yaml');
    writeFileSync(file, policyConfig(mock.url, { type: 'noop' }));
    const port = await freePort();
    const env = { WARDEN_LISTEN: `127.0.0.1:${port}`, WARDEN_DATA_DIR: dataDir };
    warden = await startProcess('warden', ['serve', '--config', file], env);
    const url = warden.url;

    // The browser logs the refused connections while the gateway is away.
    const ui = await openPage({ allow: /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|Failed to fetch|ERR_INCOMPLETE_CHUNKED_ENCODING/ });
    const { page } = ui;
    await page.goto(`${url}/ui/activity`);
    await page.locator('#conn[data-state="live"]').waitFor();
    const before = await exchange(url, { scenario: 'text', session: 'ui-restart' });
    await row(page, before.id).locator('.badge.ok').waitFor();

    const exit = await warden.stop();
    assert.ok(exit && (exit.code === 0 || exit.signal === 'SIGTERM'), JSON.stringify(exit));
    await page.locator('#conn[data-state="waiting"]').waitFor();
    assert.match(await page.locator('#conn').textContent(), /Reconnecting/);

    warden = await startProcess('warden', ['serve', '--config', file], env);
    assert.equal(warden.url, url, 'same address');
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 15_000 });
    const afterRestart = await exchange(url, { scenario: 'text', session: 'ui-restart' });
    await row(page, afterRestart.id).locator('.badge.ok').waitFor();
    assert.ok(await row(page, before.id).isVisible(), 'rows from before the restart stay');
    await ui.close();
  });
});
