/**
 * The status page: one self-contained HTML document (no file, script or font from anywhere else),
 * which reads /status every second and draws the nodes, the slot map and the recent events. When
 * the tunnel restarts it keeps polling and picks up where it left.
 *
 * For scripts and tests: each node's row carries data-node-id, each figure in it data-field; the
 * slot map is [data-slot-map], its parts carry data-slots="lo-hi" and data-node-id, in slot order;
 * slots in motion are marked over it by [data-move="migrating|importing"] with data-moving-slots.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>redis-cluster-tunnel</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.2em; color: #222; background: #fafafa; }
  h1 { font-size: 1.3em; margin: 0 0 .3em; }
  #summary span { margin-right: 1.4em; }
  #conn { padding: .1em .5em; border-radius: 3px; color: #fff; background: #2a7d2a; }
  #conn.down { background: #b22; }
  table { border-collapse: collapse; margin: 1em 0; background: #fff; }
  th, td { padding: .25em .6em; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
  th { background: #eee; } td.t, th.t { text-align: left; }
  tr.failing td { background: #fff4d6; } tr.down td, tr.retired td { background: #fde0e0; color: #777; }
  [data-slot-map] { position: relative; height: 28px; width: 100%; border: 1px solid #999; background: #ddd; }
  [data-slot-map] > div { position: absolute; top: 0; height: 100%; overflow: hidden; font-size: 11px; color: #fff; text-align: center; line-height: 28px; }
  [data-slot-map] > div.move { height: 50%; background: repeating-linear-gradient(45deg, #000 0 2px, #ffd400 2px 5px); }
  [data-slot-map] > div.importing { top: 50%; }
  #slot-moves { margin: .3em 0; font-size: 12px; }
  #events li { font-family: ui-monospace, monospace; font-size: 12px; }
  .swatch { display: inline-block; width: .8em; height: .8em; margin-right: .3em; }
</style>
</head>
<body>
<h1>redis-cluster-tunnel <span id="conn">connecting</span></h1>
<div id="summary"></div>
<h2>Slots</h2>
<div data-slot-map></div>
<div id="slot-total"></div>
<ul id="slot-moves"></ul>
<h2>Nodes</h2>
<table>
  <thead><tr><th class="t">local</th><th class="t">node</th><th class="t">role</th><th class="t">slots</th>
  <th class="t">state</th><th>ops/s</th><th>p50 ms</th><th>p99 ms</th><th>errors</th><th>redirects</th>
  <th title="pinned clients of its listener">clients</th><th title="smart clients with a connection of their own to it">smart own</th><th>in B/s</th><th>out B/s</th><th>lag s</th><th class="t">hot keys (last minute)</th></tr></thead>
  <tbody id="nodes"></tbody>
</table>
<h2>Recent events</h2>
<ul id="events"></ul>
<script>
"use strict";
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
const $ = (id) => document.getElementById(id);
function text(parent, tag, value, attrs) {
  const el = document.createElement(tag);
  el.textContent = value === null || value === undefined ? '' : String(value);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  parent.appendChild(el);
  return el;
}
function ranges(slots) {
  return slots.split(' ').filter(Boolean).map((r) => { const [a, b] = r.split('-').map(Number); return [a, b === undefined ? a : b]; });
}
function place(el, lo, hi) {
  el.style.left = (100 * lo / 16384) + '%';
  el.style.width = 'max(3px, ' + (100 * (hi - lo + 1) / 16384) + '%)';
}
function stateOf(n) {
  if (!n.listed) return 'retired';
  return n.health === 'online' ? 'up' : n.health === 'loading' ? 'failing' : 'down';
}
function draw(s) {
  const summary = $('summary');
  summary.textContent = '';
  const t = s.tunnel || {};
  for (const [k, v] of [['version', t.version], ['mode', s.mode], ['topology', s.topology], ['uptime', s.uptimeSeconds + ' s'],
    ['clients', s.clients.open.pinned + ' pinned, ' + s.clients.open.smart + ' smart'], ['memory', Math.round((t.memoryBytes || 0) / 1048576) + ' MiB'],
    ['open files', (t.openFiles ?? '?') + ' of ' + (t.fileLimit ?? '?')]])
    text(summary, 'span', k + ': ' + v, { 'data-field': k });
  const masters = s.nodes.filter((n) => n.role === 'master' && n.listed);
  const colour = new Map(masters.map((m, i) => [m.id, COLOURS[i % COLOURS.length]]));
  const map = document.querySelector('[data-slot-map]');
  map.textContent = '';
  // In slot order, each range where it lies: unserved slots show as gaps.
  const owned = masters.flatMap((m) => ranges(m.slots).map(([lo, hi]) => [lo, hi, m])).sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [lo, hi, m] of owned) {
    covered += hi - lo + 1;
    const part = text(map, 'div', m.node, { 'data-slots': lo + '-' + hi, 'data-node-id': m.id, title: m.node + ': slots ' + lo + '-' + hi });
    place(part, lo, hi);
    part.style.background = colour.get(m.id);
  }
  // Slots in motion, over the map: migrating (out of a master) on the top half, importing below.
  const moves = $('slot-moves');
  moves.textContent = '';
  for (const m of masters)
    for (const [kind, list, arrow] of [['migrating', m.migrating, ' to '], ['importing', m.importing, ' from ']])
      for (const r of list || []) {
        const [lo, hi] = ranges(r.slots)[0];
        const what = (lo === hi ? 'slot ' + lo : 'slots ' + r.slots) + ': ' + m.node + ' ' + kind + arrow + r.peer;
        const mark = text(map, 'div', '', { class: 'move ' + kind, 'data-moving-slots': r.slots, 'data-move': kind, 'data-node-id': m.id, title: what });
        place(mark, lo, hi);
        text(moves, 'li', what, { 'data-move': kind });
      }
  $('slot-total').textContent = covered + ' of 16384 slots served';
  const body = $('nodes');
  body.textContent = '';
  for (const n of s.nodes) {
    const live = n.live || {};
    const row = text(body, 'tr', '', { 'data-node-id': n.id, class: stateOf(n) });
    const owner = n.role === 'master' ? n.id : (s.nodes.find((m) => m.node === n.master) || {}).id;
    const local = text(row, 'td', '', { class: 't', 'data-field': 'local' });
    const sw = text(local, 'span', '', { class: 'swatch' });
    sw.style.background = colour.get(owner) || '#ccc';
    local.appendChild(document.createTextNode(n.local));
    text(row, 'td', n.node, { class: 't', 'data-field': 'node' });
    text(row, 'td', n.role === 'master' ? 'master' : 'replica of ' + (n.master || '?'), { class: 't', 'data-field': 'role' });
    text(row, 'td', n.slots, { class: 't', 'data-field': 'slots' });
    text(row, 'td', stateOf(n), { class: 't', 'data-field': 'state' });
    text(row, 'td', live.opsPerSec ?? 0, { 'data-field': 'ops' });
    text(row, 'td', live.p50 === null || live.p50 === undefined ? '' : live.p50.toFixed(2), { 'data-field': 'p50' });
    text(row, 'td', live.p99 === null || live.p99 === undefined ? '' : live.p99.toFixed(2), { 'data-field': 'p99' });
    text(row, 'td', live.errors ?? 0, { 'data-field': 'errors' });
    text(row, 'td', live.redirects ?? 0, { 'data-field': 'redirects' });
    text(row, 'td', n.clients ?? 0, { 'data-field': 'clients' });
    text(row, 'td', n.smartClients ?? 0, { 'data-field': 'smart-clients' });
    text(row, 'td', live.bytesToNodePerSec ?? 0, { 'data-field': 'bytes-in' });
    text(row, 'td', live.bytesFromNodePerSec ?? 0, { 'data-field': 'bytes-out' });
    text(row, 'td', n.lagSeconds === undefined ? '' : n.lagSeconds === null ? 'not in sync' : n.lagSeconds, { 'data-field': 'lag' });
    text(row, 'td', (n.hotKeys || []).slice(0, 3).map((h) => h.key + ' ~' + h.requests).join(', '), { class: 't', 'data-field': 'hot-keys' });
  }
  const events = $('events');
  events.textContent = '';
  for (const e of s.events || []) text(events, 'li', e.at.replace('T', ' ').slice(0, 19) + '  ' + e.text);
}
async function poll() {
  try {
    const r = await fetch('/status', { cache: 'no-store' });
    if (!r.ok) throw new Error('status ' + r.status);
    draw(await r.json());
    $('conn').textContent = 'live';
    $('conn').className = '';
  } catch (e) {
    $('conn').textContent = 'reconnecting';
    $('conn').className = 'down';
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
`;
