// The Sluice dashboard: one server-sent-events stream (/dashboard/stream) feeds every view; actions call
// the admin API with the token the user gave (kept for this browser tab only).
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

const HISTORY = 300;
const TOKEN_KEY = 'sluice-admin-token';

function useStream() {
  const [view, setView] = useState({ status: null, samples: [], events: [], connection: 'connecting' });
  useEffect(() => {
    const source = new EventSource('stream');
    let samples = [];
    let events = [];
    let status = null;
    const publish = (connection) => setView({ status, samples, events, connection });
    source.addEventListener('history', (e) => {
      const history = JSON.parse(e.data);
      samples = history.samples;
      events = history.events.slice().reverse();
      publish('live');
    });
    source.addEventListener('status', (e) => { status = JSON.parse(e.data); publish('live'); });
    source.addEventListener('sample', (e) => {
      const message = JSON.parse(e.data);
      status = message.status;
      samples = samples.length >= HISTORY ? samples.slice(1) : samples.slice();
      samples.push(message.sample);
      publish('live');
    });
    source.addEventListener('event', (e) => {
      events = [JSON.parse(e.data), ...events].slice(0, 500);
      publish('live');
    });
    source.onerror = () => publish('reconnecting');
    return () => source.close();
  }, []);
  return view;
}

async function adminCall(path, body, token) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let reason = response.status + ' ' + response.statusText;
    try { reason = (await response.json()).error || reason; } catch (ignored) { /* not JSON */ }
    throw new Error(reason);
  }
  return response.json();
}

function Plot({ id, title, series, data }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    plot.current = new uPlot({
      width: 300, height: 130, legend: { show: true, live: false }, cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{ size: 30 }, { size: 50 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: false }))],
    }, data, box.current);
    return () => plot.current.destroy();
  }, []);
  useEffect(() => {
    if (plot.current) {
      plot.current.setData(data);
    }
    const last = data[1].length ? data[1][data[1].length - 1] : null;
    box.current.dataset.points = String(data[0].length);
    box.current.dataset.last = last === null || last === undefined ? '' : String(last);
  }, [data]);
  return h('div', { class: 'plot' }, h('div', { class: 'label' }, title), h('div', { ref: box, 'data-plot': id }));
}

function columns(samples, pick) {
  const x = [];
  const ys = pick.map(() => []);
  for (const sample of samples) {
    x.push(sample.t / 1000);
    pick.forEach((f, i) => {
      const v = f(sample);
      ys[i].push(v === undefined ? null : v);
    });
  }
  return [x, ...ys];
}

const BLUE = '#2e6bd6', RED = '#d92d20', GREEN = '#12b76a', ORANGE = '#f79009', GREY = '#98a2b3';

function DeploymentPlots({ name, samples }) {
  const d = (s) => s.deployments[name] || {};
  const plots = [
    ['requests', 'requests/s and errors/s', [['requests/s', BLUE, (s) => d(s).requestsPerSecond], ['errors/s', RED, (s) => d(s).errorsPerSecond]]],
    ['latency', 'latency (ms, last second)', [['p50', BLUE, (s) => d(s).p50Ms], ['p99', ORANGE, (s) => d(s).p99Ms]]],
    ['load', 'ongoing and queued', [['ongoing', BLUE, (s) => d(s).ongoing], ['queued', ORANGE, (s) => d(s).queued]]],
    ['replicas', 'replicas', [['running', GREEN, (s) => d(s).replicas], ['desired', BLUE, (s) => d(s).desiredReplicas], ['proposed', GREY, (s) => d(s).proposedReplicas]]],
  ];
  const latest = samples.length ? samples[samples.length - 1].deployments[name] : null;
  if (latest && latest.llm) {
    plots.push(
      ['tokens', 'tokens/s (last 5 s)', [['tokens/s', BLUE, (s) => (d(s).llm || {}).tokensPerSecond]]],
      ['ttft', 'time to first token (ms)', [['p50', BLUE, (s) => (d(s).llm || {}).ttftP50Ms], ['p99', ORANGE, (s) => (d(s).llm || {}).ttftP99Ms]]],
      ['generations', 'generations', [['running', GREEN, (s) => (d(s).llm || {}).running], ['waiting', ORANGE, (s) => (d(s).llm || {}).waiting]]],
    );
  }
  return h('div', { class: 'plots' }, plots.map(([key, title, lines]) => h(Plot, {
    key: name + ':' + key, id: name + ':' + key, title,
    series: lines.map(([label, color]) => ({ label, color })),
    data: columns(samples, lines.map((line) => line[2])),
  })));
}

function uptime(ms) {
  if (ms === undefined || ms === null) return '';
  const s = Math.floor(ms / 1000);
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.floor(s / 60) + ' min';
  return Math.floor(s / 3600) + ' h';
}

function Replica({ replica }) {
  return h('tr', { class: 'replica' },
    h('td', null, replica.id),
    h('td', null, h('span', { class: 'badge ' + replica.state }, replica.state), replica.reason ? h('div', { class: 'reason' }, replica.reason) : null),
    h('td', null, replica.host + (replica.pid ? ' (pid ' + replica.pid + ')' : '')),
    h('td', null, replica.placement),
    h('td', null, size(replica.measuredMemoryBytes)),
    h('td', null, replica.ongoing),
    h('td', null, uptime(replica.uptimeMs)));
}

function Deployment({ deployment, samples, act }) {
  const [replicas, setReplicas] = useState('');
  const revisions = deployment.revisions || [];
  const autoscaled = revisions.length && revisions[revisions.length - 1].autoscaling;
  return h('div', { class: 'deployment', 'data-deployment': deployment.name },
    h('div', { class: 'title' },
      h('strong', null, deployment.name),
      h('span', { class: 'muted' }, deployment.runtime + ' · version ' + deployment.version),
      h('span', { class: 'badge ' + deployment.state }, deployment.state),
      deployment.state === 'FAILED' || deployment.state === 'UNAVAILABLE' ? h('span', { class: 'reason' }, deployment.reason) : null,
      h('div', { class: 'actions' },
        autoscaled ? null : [
          h('input', { class: 'replicas', type: 'number', min: 1, placeholder: 'n', value: replicas, onInput: (e) => setReplicas(e.target.value) }),
          h('button', { 'data-action': 'scale', onClick: () => act(deployment.name, 'scale', { replicas: Number(replicas) }) }, 'Scale'),
        ],
        revisions.length > 1 ? [
          h('button', { 'data-action': 'promote', onClick: () => act(deployment.name, 'promote') }, 'Promote'),
          h('button', { 'data-action': 'rollback', onClick: () => act(deployment.name, 'rollback') }, 'Roll back'),
        ] : null,
        deployment.state === 'READY'
          ? h('button', { 'data-action': 'unload', onClick: () => act(deployment.name, 'unload') }, 'Unload')
          : h('button', { 'data-action': 'load', onClick: () => act(deployment.name, 'load') }, 'Load'))),
    h('table', null,
      h('tr', null, ['revision', 'traffic', 'state', 'replicas (target)', 'autoscaler'].map((c) => h('th', null, c))),
      revisions.map((r) => h('tr', { 'data-revision': r.revision },
        h('td', null, r.revision + (r.version ? ' (' + r.version + ')' : '')),
        h('td', { class: 'traffic' }, r.trafficPercent + '%'),
        h('td', null, h('span', { class: 'badge ' + r.state }, r.state), r.reason ? h('div', { class: 'reason' }, r.reason) : null),
        h('td', null, r.replicas.length + ' (' + r.targetReplicas + ')'),
        h('td', { class: 'muted' }, r.autoscaling
          ? r.autoscaling.minReplicas + '–' + r.autoscaling.maxReplicas + (r.autoscaling.lastDecision ? ' · ' + r.autoscaling.lastDecision.reason : '')
          : 'fixed')))),
    h('table', null,
      h('tr', null, ['replica', 'state', 'hosting', 'placement', 'memory', 'ongoing', 'uptime'].map((c) => h('th', null, c))),
      revisions.flatMap((r) => r.replicas.map((replica) => h(Replica, { key: replica.id, replica })))),
    h(DeploymentPlots, { name: deployment.name, samples }));
}

function Accelerators({ status, samples }) {
  const devices = status.accelerators || [];
  if (!devices.length) return null;
  return h('section', null, h('h2', null, 'Accelerators'),
    h('table', null,
      h('tr', null, ['device', 'vendor', 'type', 'memory', 'share in use'].map((c) => h('th', null, c))),
      devices.map((d) => h('tr', null, h('td', null, d.id), h('td', null, d.vendor), h('td', null, d.type),
        h('td', null, (d.memoryBytes / 2 ** 30).toFixed(1) + ' GiB'), h('td', null, (d.shareInUse ?? 0).toFixed(2))))),
    h('div', { class: 'plots' }, devices.map((d) => h(Plot, {
      key: 'accelerator:' + d.id, id: 'accelerator:' + d.id, title: d.id + ' memory in use (GiB)',
      series: [{ label: 'used', color: BLUE }],
      data: columns(samples, [(s) => s.accelerators[d.id] ? s.accelerators[d.id].usedBytes / 2 ** 30 : null]),
    }))));
}

function size(bytes) {
  if (bytes === undefined || bytes === null) return '';
  if (bytes >= 2 ** 30) return (bytes / 2 ** 30).toFixed(1) + ' GiB';
  if (bytes >= 2 ** 20) return (bytes / 2 ** 20).toFixed(1) + ' MiB';
  return (bytes / 2 ** 10).toFixed(1) + ' KiB';
}

function Memory({ status, samples }) {
  const memory = status.memory;
  const latest = samples.length ? samples[samples.length - 1] : null;
  if (!memory || !latest || !latest.memory) return null;
  const names = Object.keys(latest.deployments);
  return h('section', { id: 'memory' }, h('h2', null, 'Memory'),
    h('table', null,
      h('tr', null, ['', 'held', 'evictions'].map((c) => h('th', null, c))),
      h('tr', { class: 'host' }, h('td', null, 'host (budget ' + size(latest.memory.budgetBytes) + ')'), h('td', null, size(latest.memory.usedBytes)), h('td', null, '')),
      names.map((n) => h('tr', { 'data-memory': n }, h('td', null, n),
        h('td', null, size(latest.deployments[n].memoryBytes)), h('td', { class: 'evictions' }, latest.deployments[n].evictions)))),
    h('div', { class: 'plots' }, h(Plot, {
      key: 'memory:host', id: 'memory:host', title: 'host memory (GiB): held by replicas, budget',
      series: [{ label: 'used', color: BLUE }, { label: 'budget', color: ORANGE }],
      data: columns(samples, [(x) => x.memory ? x.memory.usedBytes / 2 ** 30 : null, (x) => x.memory ? x.memory.budgetBytes / 2 ** 30 : null]),
    })));
}

function Events({ events }) {
  return h('section', null, h('h2', null, 'Events'),
    h('div', { class: 'events' }, h('table', null,
      h('tr', null, ['time', 'event', 'deployment', 'what'].map((c) => h('th', null, c))),
      events.map((e) => h('tr', { key: e.sequence, 'data-kind': e.kind },
        h('td', { class: 'muted' }, new Date(e.t).toLocaleTimeString()),
        h('td', { class: 'kind' }, e.kind.toLowerCase().replaceAll('_', ' ')),
        h('td', null, e.deployment || ''),
        h('td', null, e.message))))));
}

function TokenBox({ token, setToken }) {
  const [draft, setDraft] = useState('');
  if (token) {
    return h('span', null, h('span', { class: 'muted' }, 'admin token set '), h('button', { onClick: () => setToken('') }, 'Forget'));
  }
  return h('form', { onSubmit: (e) => { e.preventDefault(); setToken(draft.trim()); setDraft(''); } },
    h('input', { id: 'admin-token', type: 'password', placeholder: 'admin token (for actions)', value: draft, onInput: (e) => setDraft(e.target.value) }),
    h('button', { type: 'submit' }, 'Use'));
}

function App() {
  const { status, samples, events, connection } = useStream();
  const [token, setTokenState] = useState(sessionStorage.getItem(TOKEN_KEY) || '');
  const [message, setMessage] = useState(null);
  const setToken = (value) => { sessionStorage.setItem(TOKEN_KEY, value); setTokenState(value); };
  const act = async (deployment, action, body) => {
    if (!token) {
      setMessage({ error: true, text: 'Actions need the admin token: enter it at the top right.' });
      return;
    }
    try {
      await adminCall('/api/v1/deployments/' + encodeURIComponent(deployment) + '/' + action, body, token);
      setMessage({ error: false, text: action + ' ' + deployment + ': done' });
    } catch (e) {
      setMessage({ error: true, text: action + ' ' + deployment + ': ' + e.message });
    }
  };
  return h('div', null,
    h('header', null,
      h('h1', null, 'Sluice'),
      status ? h('span', { class: 'badge ' + (status.ready ? 'READY' : 'LOADING') }, status.ready ? 'ready' : 'not ready') : null,
      h('span', { class: 'badge ' + connection, id: 'connection' }, connection),
      h('span', { class: 'spacer' }),
      h(TokenBox, { token, setToken })),
    h('main', null,
      message ? h('div', { class: 'message' + (message.error ? ' error' : ''), id: 'message' }, message.text) : null,
      status ? status.applications.map((app) => h('section', { key: app.name, 'data-application': app.name },
        h('h2', null, app.name, ' ', h('span', { class: 'muted' }, app.routePrefix)),
        app.deployments.map((d) => h(Deployment, { key: d.name, deployment: d, samples, act })))) : h('section', null, 'connecting…'),
      status && (status.pipelines.length || status.graphs.length) ? h('section', null, h('h2', null, 'Pipelines and graphs'),
        h('table', null, [...status.pipelines, ...status.graphs].map((p) => h('tr', null,
          h('td', null, p.name), h('td', { class: 'muted' }, p.routePrefix), h('td', null, p.type || 'graph'))))) : null,
      status ? h(Memory, { status, samples }) : null,
      status ? h(Accelerators, { status, samples }) : null,
      h(Events, { events })));
}

render(h(App), document.getElementById('app'));
