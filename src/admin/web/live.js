// The live activity store: transactions seen on the event stream (and the
// latest recorded ones, fetched at each (re)connect to fill any gap), plus
// the policy events. One store for the whole app, so the activity page keeps
// its rows when the user opens a transaction and comes back.

import { LiveStream, getJson } from './api.js';

const MAX_TRANSACTIONS = 1000;
const MAX_EVENTS = 300;
const BACKFILL_EVENTS_OF = 8;

class LiveStore {
  constructor() {
    /** id → entry: the summary fields, plus state, progress, events, instance */
    this.byId = new Map();
    /** policy events, newest last: {transaction_id, policy, action, at_us, detail, model, session_id} */
    this.events = [];
    this.listeners = new Set();
    this.connection = { state: 'stopped' };
    this.instance = '';
    // server clock − local clock, in µs (from the events' at_us)
    this.clockOffsetUs = 0;
    this.pending = new Set();
    this.flushScheduled = false;
    this.stream = new LiveStream({
      onEvent: (e) => this.handle(e),
      onState: (s) => {
        this.connection = s;
        this.notify({ connection: true });
      },
      onConnected: (instance) => this.connected(instance),
    });
  }

  /** fn({ids: Set|null, connection: bool, events: bool}) after each batch of changes; returns an unsubscribe. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start() {
    this.stream.start();
  }

  restart() {
    this.stream.restart();
  }

  set onAuthError(fn) {
    this.stream.onAuthError = fn;
  }

  serverNowUs() {
    return Date.now() * 1000 + this.clockOffsetUs;
  }

  /** Entries newest first. */
  list() {
    return [...this.byId.values()].sort((a, b) => b.started_at_us - a.started_at_us || (a.id < b.id ? 1 : -1));
  }

  // -------------------------------------------------------------------------

  connected(instance) {
    // A different instance answering means the gateway restarted: streams the
    // old one was running will never finish on this stream. Those not in the
    // store's latest page below are marked lost.
    const previous = this.instance;
    this.instance = instance;
    const restarted = previous && instance && previous !== instance;
    this.backfill(restarted ? previous : null);
  }

  async backfill(lostInstance) {
    let page;
    try {
      page = await getJson('/admin/transactions', { limit: 50 });
    } catch {
      return; // the live stream still works; history has the rest
    }
    const found = new Set();
    for (const summary of page.transactions || []) {
      found.add(summary.id);
      this.finished(summary, { backfill: true });
    }
    if (!this.eventsBackfilled) {
      this.eventsBackfilled = true;
      this.backfillEvents((page.transactions || []).filter((t) => (t.policy_actions || []).length).slice(0, BACKFILL_EVENTS_OF));
    }
    if (lostInstance) {
      for (const entry of this.byId.values()) {
        if (entry.state === 'running' && entry.instance === lostInstance && !found.has(entry.id)) {
          entry.state = 'interrupted';
          this.touch(entry.id);
        }
      }
    }
    this.trim();
  }

  // The policy events of the latest transactions that had some, so the
  // events panel is not empty when the page opens on a quiet gateway.
  async backfillEvents(summaries) {
    const found = [];
    for (const t of summaries) {
      try {
        const detail = await getJson(`/admin/transactions/${encodeURIComponent(t.id)}?bodies=false`);
        for (const ev of detail.policy_events || []) {
          found.push({ ...ev, transaction_id: t.id, model: t.model, session_id: t.session_id });
        }
      } catch {
        return;
      }
    }
    const key = (e) => `${e.transaction_id}|${e.at_us}|${e.policy}|${e.action}`;
    const have = new Set(this.events.map(key));
    const add = found.filter((e) => !have.has(key(e)));
    if (!add.length) return;
    this.events = [...add, ...this.events].sort((a, b) => a.at_us - b.at_us).slice(-MAX_EVENTS);
    for (const e of add) {
      const entry = this.byId.get(e.transaction_id);
      if (entry && !entry.events.some((x) => key(x) === key(e))) entry.events.push(e);
    }
    this.touch(add[0].transaction_id, { events: true });
  }

  handle(event) {
    if (!event || typeof event !== 'object') return;
    if (typeof event.at_us === 'number') {
      this.clockOffsetUs = event.at_us - Date.now() * 1000;
    }
    const data = event.data || {};
    switch (event.type) {
      case 'transaction_started': {
        const existing = this.byId.get(data.id);
        if (existing && existing.state !== 'running') return; // finished already (events crossed)
        this.byId.set(data.id, {
          ...existing,
          ...data,
          state: 'running',
          instance: event.instance || '',
          policy_actions: existing?.policy_actions || [],
          events: existing?.events || [],
          seenLive: true,
        });
        this.touch(data.id);
        this.trim();
        break;
      }
      case 'transaction_progress': {
        const entry = this.byId.get(data.id);
        if (!entry || entry.state !== 'running') return;
        entry.progress = { output_bytes: data.output_bytes, elapsed_us: data.elapsed_us, local_ms: Date.now() };
        this.touch(data.id);
        break;
      }
      case 'policy_event': {
        const ev = { ...data, instance: event.instance || '' };
        this.events.push(ev);
        if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
        let entry = this.byId.get(data.transaction_id);
        if (!entry) {
          entry = {
            id: data.transaction_id,
            started_at_us: data.at_us,
            model: data.model,
            session_id: data.session_id,
            state: 'running',
            instance: event.instance || '',
            policy_actions: [],
            events: [],
          };
          this.byId.set(entry.id, entry);
        }
        entry.events.push(ev);
        if (entry.state === 'running') entry.policy_actions = [...entry.policy_actions, `${data.policy}:${data.action}`];
        this.touch(entry.id, { events: true });
        break;
      }
      case 'transaction_finished':
        this.finished(data, { instance: event.instance });
        this.trim();
        break;
      default:
        break;
    }
  }

  finished(summary, { backfill = false, instance } = {}) {
    if (!summary || !summary.id) return;
    const existing = this.byId.get(summary.id);
    this.byId.set(summary.id, {
      ...existing,
      ...summary,
      state: 'finished',
      instance: existing?.instance || instance || '',
      events: existing?.events || [],
      seenLive: existing?.seenLive || !backfill,
    });
    this.touch(summary.id);
  }

  trim() {
    if (this.byId.size <= MAX_TRANSACTIONS) return;
    const sorted = this.list();
    for (const entry of sorted.slice(MAX_TRANSACTIONS)) {
      this.byId.delete(entry.id);
      this.pending.add(entry.id);
    }
    this.schedule({});
  }

  touch(id, flags = {}) {
    this.pending.add(id);
    this.schedule(flags);
  }

  schedule(flags) {
    this.flags = { ...(this.flags || {}), ...flags };
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One render per frame however many events arrived (a busy gateway).
    const run = () => {
      this.flushScheduled = false;
      const ids = this.pending;
      const flags2 = this.flags || {};
      this.pending = new Set();
      this.flags = {};
      for (const fn of this.listeners) fn({ ids, ...flags2 });
    };
    if (document.visibilityState === 'hidden') setTimeout(run, 250);
    else requestAnimationFrame(run);
  }

  notify(flags) {
    for (const fn of this.listeners) fn({ ids: new Set(), ...flags });
  }
}

export const live = new LiveStore();
