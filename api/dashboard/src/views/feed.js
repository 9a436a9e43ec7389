// The feed of latest decisions: type, deciding body, signers, time.

import {store, signerOf} from '../store.js';
import {esc, when, money, shortHex} from '../format.js';
import {nameOf, label, ROLES, FAMILIES, VERBS, t} from '../i18n.js';

export function typeLabel(type) {
  const [family, what = ''] = (type || '').split('.');
  const verb = VERBS[what] ? label(VERBS, what) : what.replace(/_/g, ' ');
  return {family, text: `${label(FAMILIES, family)} · ${verb}`};
}

export function bodyName(bodyId) {
  const body = store.bodies.get(bodyId);
  return body ? nameOf(body.name) : bodyId;
}

export function signersHtml(signatures) {
  return (signatures || [])
    .map((s) => {
      const {key, officer} = signerOf(s.key_id);
      const who = officer ? `${esc(nameOf(officer.name))} <span class="muted">(${esc(label(ROLES, officer.role))})</span>` : `<code>${esc(shortHex(s.key_id))}</code>`;
      const title = `key ${s.key_id}${key ? ` (${key.status} now)` : ' (unknown key)'}`;
      return `<span class="signer" title="${esc(title)}">${who}</span>`;
    })
    .join(', ');
}

// A link to the event's main subject and what it says, in a few words.
export function subjectHtml(decision) {
  const p = decision.payload || {};
  const parts = [];
  if (p.project_id) parts.push(`<a href="#/project/${encodeURIComponent(p.project_id)}">${esc(p.project_id)}</a>`);
  else if (p.partnership_id) parts.push(`<a href="#/partnership/${encodeURIComponent(p.partnership_id)}">${esc(p.partnership_id)}</a>`);
  else if (p.commitment_id) {
    const project = p.commitment_id.replace(/-C\d+$/, '');
    parts.push(`<a href="#/project/${encodeURIComponent(project)}">${esc(p.commitment_id)}</a>`);
  } else {
    const id = p.officer_id || p.key_id || p.policy_id || p.body_id || p.meeting_id || p.resolution_id || p.country;
    if (id) parts.push(`<code>${esc(id.length > 24 ? shortHex(id, 12) : id)}</code>`);
  }
  const title = p.title || p.name;
  if (title && typeof title === 'object') parts.push(`<span class="subject-title">${esc(nameOf(title))}</span>`);
  const amount = p.budget || (p.amount && p.currency ? {amount: p.amount, currency: p.currency} : null);
  if (amount && typeof amount === 'object' && amount.currency) parts.push(`<span class="amount">${esc(money(amount.amount, amount.currency))}</span>`);
  return parts.join(' ');
}

export function feedItemHtml(msg) {
  const fresh = msg.receivedAt && msg.live && Date.now() - msg.receivedAt < 4000;
  const e = msg.event;
  const d = e.decision;
  const {family, text} = typeLabel(d.type);
  return `<li class="feed-item${fresh ? ' fresh' : ''}" data-seq="${e.sequence}" data-type="${esc(d.type)}">
    <div class="feed-head">
      <span class="type type-${esc(family)}">${esc(text)}</span>
      <span class="seq">#${e.sequence}</span>
    </div>
    <div class="feed-subject">${subjectHtml(d)}</div>
    <div class="feed-meta">
      <span class="feed-body" title="${esc(d.body)}">${esc(bodyName(d.body))}</span>
      <span class="feed-signers">${t('signers')}: ${signersHtml(e.signatures)}</span>
      <time datetime="${esc(d.issued_at)}" title="${t('recorded')} ${esc(e.recorded_at)}">${esc(when(d.issued_at))}</time>
    </div>
  </li>`;
}

// Renders the feed into `ul`, newest first, up to `max` (or those `keep`
// lets through); events that arrived live in the last seconds are marked.
export function renderFeed(ul, max, keep = () => true, from = store.feed) {
  const items = from.filter(keep).slice(0, max);
  ul.innerHTML = items.map((m) => feedItemHtml(m)).join('') ||
    '<li class="muted">No decisions yet.</li>';
}
