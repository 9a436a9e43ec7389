// Governance: members, bodies, officers, keys (active, rotated, revoked)
// and the policies in force, from the governance record.

import {store, on, loadDirectory} from '../store.js';
import {esc, money, when, shortHex, count} from '../format.js';
import {t, nameOf, label, BODY_KINDS, ROLES, KEY_STATUSES, labelBoth, COUNTRIES} from '../i18n.js';

export function governanceView(root) {
  function render() {
    const bodies = [...store.bodies.values()];
    const officers = [...store.officers.values()];
    const keys = [...store.keys.values()];
    const policies = [...store.policies.values()];
    const keysOf = new Map();
    for (const k of keys) {
      if (!keysOf.has(k.officer_id)) keysOf.set(k.officer_id, []);
      keysOf.get(k.officer_id).push(k);
    }
    const keyCounts = {active: 0, rotated: 0, revoked: 0};
    for (const k of keys) keyCounts[k.status] = (keyCounts[k.status] || 0) + 1;
    const order = {joint_committee: 0, joint_conference: 1, secretariat: 2, working_group: 3, bilateral_mechanism: 4};
    // Bodies as a tree: children under their parent.
    const children = new Map();
    for (const b of bodies) {
      const p = b.parent_id || '';
      if (!children.has(p)) children.set(p, []);
      children.get(p).push(b);
    }
    const tree = (parent, depth) =>
      (children.get(parent) || [])
        .sort((a, b) => (order[a.kind] ?? 9) - (order[b.kind] ?? 9) || a.body_id.localeCompare(b.body_id))
        .map((b) => {
          const active = officers.filter((o) => o.body_id === b.body_id && o.active);
          return `<li class="body${b.dissolved ? ' dissolved' : ''}" data-body="${esc(b.body_id)}">
            <div class="body-name"><b>${esc(b.name.en)}</b>${b.name.zh ? ` <span lang="zh-Hans" class="zh">${esc(b.name.zh)}</span>` : ''}</div>
            <div class="muted small"><code>${esc(b.body_id)}</code> · ${esc(label(BODY_KINDS, b.kind))}${b.country ? ` · ${esc(labelBoth(COUNTRIES, b.country))}` : ''}${b.dissolved ? ' · dissolved' : ''} · ${count(active.length)} ${esc(t('officers').toLowerCase())}</div>
            ${children.has(b.body_id) ? `<ul>${tree(b.body_id, depth + 1)}</ul>` : ''}
          </li>`;
        })
        .join('');
    const officerRows = officers
      .sort((a, b) => Number(b.active) - Number(a.active) || a.body_id.localeCompare(b.body_id) || a.officer_id.localeCompare(b.officer_id))
      .map((o) => {
        const ks = keysOf.get(o.officer_id) || [];
        return `<tr class="${o.active ? '' : 'inactive'}" data-officer="${esc(o.officer_id)}">
          <td>${esc(nameOf(o.name))}<div class="muted small"><code>${esc(o.officer_id)}</code></div></td>
          <td>${esc(label(ROLES, o.role))}</td>
          <td title="${esc(store.bodies.get(o.body_id) ? nameOf(store.bodies.get(o.body_id).name) : o.body_id)}"><code>${esc(o.body_id)}</code></td>
          <td>${esc(o.country)}</td>
          <td>${o.active ? '<span class="badge badge-active">in office</span>' : '<span class="badge badge-removed">removed</span>'}</td>
          <td>${ks.map((k) => `<span class="badge badge-${esc(k.status)}" title="${esc(k.key_id)}">${esc(shortHex(k.key_id))} ${esc(label(KEY_STATUSES, k.status))}</span>`).join(' ')}</td>
        </tr>`;
      })
      .join('');
    const keyRows = keys
      .sort((a, b) => (a.status === 'active' ? 0 : 1) - (b.status === 'active' ? 0 : 1) || b.registered_seq - a.registered_seq)
      .map((k) => {
        const o = store.officers.get(k.officer_id);
        return `<tr data-key="${esc(k.key_id)}" data-status="${esc(k.status)}">
          <td><code title="${esc(k.key_id)}">${esc(shortHex(k.key_id, 16))}</code></td>
          <td>${o ? esc(nameOf(o.name)) : esc(k.officer_id)}<div class="muted small">${o ? esc(label(ROLES, o.role)) + ' · ' + esc(o.body_id) : ''}</div></td>
          <td><span class="badge badge-${esc(k.status)}">${esc(label(KEY_STATUSES, k.status))}</span></td>
          <td>${esc(when(k.registered_at))}</td>
          <td>${k.ended_at ? esc(when(k.ended_at)) : '—'}${k.replaced_by ? `<div class="muted small">→ ${esc(shortHex(k.replaced_by))}</div>` : ''}</td>
        </tr>`;
      })
      .join('');
    const rank = (bodyId) => order[store.bodies.get(bodyId)?.kind] ?? 9;
    policies.sort((a, b) => rank(a.body_id) - rank(b.body_id) || a.policy_id.localeCompare(b.policy_id));
    const inForce = policies.filter((p) => p.in_force);
    const repealed = policies.filter((p) => !p.in_force);
    const policyRow = (p) => `<tr data-policy="${esc(p.policy_id)}">
        <td><code>${esc(p.policy_id)}</code></td>
        <td title="${esc(store.bodies.get(p.body_id) ? nameOf(store.bodies.get(p.body_id).name) : '')}"><code>${esc(p.body_id)}</code></td>
        <td class="types">${p.types.map((x) => `<span class="tag">${esc(x)}</span>`).join(' ')}</td>
        <td class="num">${p.min_signatures}</td>
        <td>${p.required_roles.map((r) => esc(label(ROLES, r))).join(' + ') || '—'}</td>
        <td>${p.ceiling ? esc(money(p.ceiling.amount, p.ceiling.currency)) : '—'}</td>
      </tr>`;
    const members = [...store.members.values()];
    root.innerHTML = `
      <section class="card"><h2>${esc(t('members'))} (${members.length})</h2>
        <div class="members">${members.map((m) => `<span class="member" title="admitted ${esc(when(m.admitted_at))}"><b>${esc(m.country)}</b> ${esc(nameOf(m.name))}</span>`).join('')}</div>
      </section>
      <div class="gov-grid">
        <section class="card"><h2>${esc(t('bodies'))} (${bodies.length})</h2><ul class="body-tree">${tree('', 0)}</ul></section>
        <section class="card"><h2>${esc(t('policies'))} (${inForce.length})</h2>
          <div class="table-wrap"><table class="table" id="policies"><thead><tr><th>Policy</th><th>${esc(t('body'))}</th><th>Types</th><th class="num">Sig.</th><th>Roles</th><th>Ceiling</th></tr></thead>
          <tbody>${inForce.map(policyRow).join('')}</tbody></table></div>
          ${repealed.length ? `<details><summary>Repealed (${repealed.length})</summary><div class="table-wrap"><table class="table"><tbody>${repealed.map(policyRow).join('')}</tbody></table></div></details>` : ''}
        </section>
      </div>
      <section class="card"><h2>${esc(t('officers'))} (${officers.filter((o) => o.active).length} in office, ${officers.length} in all)</h2>
        <div class="table-wrap"><table class="table" id="officers"><thead><tr><th>Name</th><th>Role</th><th>${esc(t('body'))}</th><th>${esc(t('country'))}</th><th>${esc(t('status'))}</th><th>${esc(t('keys'))}</th></tr></thead><tbody>${officerRows}</tbody></table></div>
      </section>
      <section class="card"><h2>${esc(t('keys'))}: ${keyCounts.active} active · ${keyCounts.rotated} rotated · ${keyCounts.revoked} revoked</h2>
        <div class="table-wrap"><table class="table" id="keys"><thead><tr><th>Key id</th><th>Officer</th><th>${esc(t('status'))}</th><th>Registered</th><th>Ended</th></tr></thead><tbody>${keyRows}</tbody></table></div>
      </section>`;
  }
  store.ready.then(() => loadDirectory()).then(render);
  return on('directory', render);
}
