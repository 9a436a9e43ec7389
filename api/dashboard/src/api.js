// The dashboard's link to ledgerd: one WebSocket at /ws carrying the JSON
// protocol of docs/api.md, reconnected with backoff when it drops.
//
// - request(op, params): a promise of the result (rejects with {rule, message}).
//   Requests made while disconnected wait for the next connection.
// - subscribeEvents(handler): the `events` topic, resumed after a reconnect
//   with `from` = the last sequence seen + 1, so nothing is lost or repeated.
// - subscribeSummary(handler): the `summary` topic (current summary first,
//   then one after each commit, at most four a second).
// - onState(fn): 'connecting' | 'live' | 'reconnecting', as it changes.

export class LedgerConnection {
  constructor(url = LedgerConnection.defaultUrl()) {
    this.url = url;
    this.state = 'connecting';
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject, message}
    this.queue = []; // messages waiting for a connection
    this.stateListeners = new Set();
    this.eventHandlers = new Set();
    this.summaryHandlers = new Set();
    this.subscriptions = new Map(); // server subscription id -> 'events' | 'summary'
    this.lastSequence = null; // the last event sequence delivered
    this.eventsFrom = null; // where the first events subscription starts
    this.attempts = 0;
    this.connects = 0;
    this.connect();
  }

  static defaultUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws`;
  }

  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    for (const fn of this.stateListeners) fn(state);
  }

  connect() {
    this.setState(this.connects === 0 ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.connects++;
      this.attempts = 0;
      this.subscriptions.clear();
      this.resubscribe();
      this.setState('live');
      const waiting = this.queue;
      this.queue = [];
      for (const text of waiting) ws.send(text);
    };
    ws.onmessage = (e) => this.dispatch(e.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      // Requests in flight on the lost connection are sent again on the next
      // (reads are idempotent; the dashboard submits nothing), but for
      // subscriptions, which the next connection makes afresh.
      this.queue = [];
      for (const [id, p] of this.pending) {
        if (p.retry) {
          this.queue.push(p.message);
        } else {
          this.pending.delete(id);
          p.reject({rule: 'client.closed', message: 'the connection closed'});
        }
      }
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose follows.
    };
  }

  scheduleReconnect() {
    this.setState('reconnecting');
    const backoff = Math.min(5000, 250 * 2 ** this.attempts++) * (0.75 + Math.random() / 2);
    const delay = Math.max(backoff, (this.holdUntil || 0) - Date.now());
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  // For tests and the "reconnect" button: drop the connection as a network
  // failure would, and stay away at least holdMs.
  dropConnection(holdMs = 0) {
    this.holdUntil = Date.now() + holdMs;
    if (this.ws) this.ws.close(4000, 'dropped by the dashboard');
  }

  dispatch(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.id !== undefined && msg.id !== null && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(msg.error || {rule: 'unknown', message: 'request failed'});
      return;
    }
    if (msg.op === 'event') {
      // The server sends catch-up then live events, no gap and no
      // duplicate; the guard covers a subscription started twice by a race.
      if (this.lastSequence !== null && msg.sequence <= this.lastSequence) return;
      this.lastSequence = msg.sequence;
      for (const fn of this.eventHandlers) fn(msg);
    } else if (msg.op === 'update' && msg.kind === 'summary') {
      for (const fn of this.summaryHandlers) fn(msg.entity, msg.sequence);
    }
  }

  request(op, params = {}, {retry = true} = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const message = JSON.stringify({...params, id, op});
      this.pending.set(id, {resolve, reject, message, retry});
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(message);
      else this.queue.push(message);
    });
  }

  // After each (re)connection: the events subscription from the first
  // sequence not yet seen, and the summary.
  resubscribe() {
    if (this.eventHandlers.size) {
      const from = this.lastSequence !== null ? this.lastSequence + 1 : this.eventsFrom;
      const params = {topic: 'events'};
      if (from !== null && from !== undefined) params.from = from;
      this.subscribeRaw(params, 'events');
    }
    if (this.summaryHandlers.size) this.subscribeRaw({topic: 'summary'}, 'summary');
  }

  subscribeRaw(params, topic) {
    this.request('subscribe', params, {retry: false}).then(
      (r) => this.subscriptions.set(r.subscription, topic),
      (e) => {
        if (e.rule !== 'client.closed') console.warn('subscribe failed', topic, e);
      },
    );
  }

  // from: the first sequence wanted (catch-up), or null for live events only.
  subscribeEvents(handler, from = null) {
    const first = this.eventHandlers.size === 0;
    this.eventHandlers.add(handler);
    if (first) {
      this.eventsFrom = from;
      if (this.state === 'live') {
        const params = {topic: 'events'};
        if (from !== null) params.from = from;
        this.subscribeRaw(params, 'events');
      }
    }
  }

  subscribeSummary(handler) {
    const first = this.summaryHandlers.size === 0;
    this.summaryHandlers.add(handler);
    if (first && this.state === 'live') this.subscribeRaw({topic: 'summary'}, 'summary');
  }

  // Every page of a list query (at most `max` items).
  async listAll(kind, params = {}, max = 5000) {
    const items = [];
    let after;
    for (;;) {
      const page = await this.request('list', {kind, limit: 500, ...params, ...(after ? {after} : {})});
      items.push(...page.items);
      if (!page.next || items.length >= max) return {items, total: page.total, size: page.size};
      after = page.next;
    }
  }
}
