import type { Report } from './report.js';

// The HTML report: one self-contained page (inline SVG, no script, nothing fetched), with the
// headline table, latency over time (p50 / p99 / max per second), throughput per second (target,
// answered, 2xx, errors, dropped), the stream's events and lag (fanout) and the engine's memory
// (when sampled), then the outcome and audit tables.

interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A round step for about `count` ticks over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

const format = (value: number): string => (Math.abs(value) >= 1000 ? `${Math.round(value / 100) / 10}k` : String(Math.round(value * 100) / 100));

export function lineChart(title: string, unit: string, series: Series[], width = 900, height = 260): string {
  const margin = { left: 60, right: 16, top: 28, bottom: 36 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yMaxRaw = Math.max(0, ...all.map(([, y]) => y));
  const yStep = niceStep(yMaxRaw || 1, 5);
  const yMax = Math.max(yStep, Math.ceil(yMaxRaw / yStep) * yStep);
  const xStep = niceStep(xMax, 10);
  const x = (v: number): number => margin.left + (v / xMax) * plotWidth;
  const y = (v: number): number => margin.top + plotHeight - (v / yMax) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(title)}">`,
    `<text x="${margin.left}" y="18" class="title">${escapeHtml(title)}</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`, `<text x="${margin.left - 6}" y="${y(v) + 4}" class="axis" text-anchor="end">${format(v)}</text>`);
  }
  for (let v = 0; v <= xMax + 1e-9; v += xStep) {
    parts.push(`<text x="${x(v)}" y="${height - margin.bottom + 16}" class="axis" text-anchor="middle">${format(v)}</text>`);
  }
  parts.push(`<text x="${width - margin.right}" y="${height - 4}" class="axis" text-anchor="end">seconds since start</text>`);
  parts.push(`<text x="12" y="${margin.top + plotHeight / 2}" class="axis" transform="rotate(-90 12 ${margin.top + plotHeight / 2})" text-anchor="middle">${escapeHtml(unit)}</text>`);
  let legendX = margin.left + 8;
  for (const s of series) {
    if (s.points.length > 0) {
      const d = s.points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    }
    parts.push(`<rect x="${legendX}" y="${margin.top + 2}" width="10" height="10" fill="${s.color}"/><text x="${legendX + 14}" y="${margin.top + 11}" class="legend">${escapeHtml(s.name)}</text>`);
    legendX += 24 + s.name.length * 6.5;
  }
  parts.push('</svg>');
  return parts.join('');
}

function table(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function renderHtml(report: Report, headline: Array<[string, string]>): string {
  const t = report.timeline;
  const at = (pick: (e: (typeof t)[number]) => number | undefined): Array<[number, number]> =>
    t.flatMap((e) => {
      const v = pick(e);
      return v === undefined ? [] : [[e.second + 1, v] as [number, number]];
    });
  const charts = [
    lineChart('Latency per second (from intended send)', 'ms', [
      { name: 'p50', color: '#2b8a3e', points: at((e) => (e.answered > 0 ? e.p50Ms : undefined)) },
      { name: 'p99', color: '#e8590c', points: at((e) => (e.answered > 0 ? e.p99Ms : undefined)) },
      { name: 'max', color: '#c92a2a', points: at((e) => (e.answered > 0 ? e.maxMs : undefined)), dashed: true },
    ]),
    lineChart('Throughput per second', 'requests/s', [
      ...(report.plan.mode === 'open' ? [{ name: 'target', color: '#868e96', points: at((e) => e.targetRate), dashed: true }] : []),
      { name: 'answered', color: '#1971c2', points: at((e) => e.answered) },
      { name: '2xx', color: '#2b8a3e', points: at((e) => e.ok) },
      { name: 'non-2xx', color: '#e8590c', points: at((e) => e.errors) },
      { name: 'dropped', color: '#c92a2a', points: at((e) => e.dropped) },
    ]),
  ];
  if (report.results.stream) {
    charts.push(
      lineChart('Stream: events delivered per second (all subscribers)', 'events/s', [{ name: 'events', color: '#5f3dc4', points: at((e) => e.streamEvents) }]),
      lineChart('Stream: delivery lag p99 per second (event at → receipt)', 'ms', [{ name: 'lag p99', color: '#e8590c', points: at((e) => (e.streamEvents > 0 ? e.streamLagP99Ms : undefined)) }]),
    );
  }
  if (report.engine?.samples.some((s) => s.rssMb !== undefined)) {
    charts.push(
      lineChart('Engine (from /metrics)', 'MB / ms', [
        { name: 'RSS MB', color: '#1971c2', points: report.engine.samples.filter((s) => s.rssMb !== undefined).map((s) => [s.second, s.rssMb!]) },
        { name: 'heap MB', color: '#2f9e44', points: report.engine.samples.filter((s) => s.heapMb !== undefined).map((s) => [s.second, s.heapMb!]) },
        { name: 'event-loop lag p99 ms', color: '#e8590c', points: report.engine.samples.filter((s) => s.eventLoopLagMs !== undefined).map((s) => [s.second, s.eventLoopLagMs!]) },
      ]),
    );
  }
  const r = report.results;
  const verdict = report.audit.pass ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Load test ${escapeHtml(report.scenario)} ${escapeHtml(report.startedAt)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:960px;color:#212529;padding:0 12px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse;margin:8px 0;width:100%}
th,td{border:1px solid #dee2e6;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f1f3f5}
svg{display:block;margin:12px 0;background:#fff;border:1px solid #e9ecef}.title{font-size:14px;font-weight:600}
.axis{font-size:11px;fill:#495057}.legend{font-size:12px;fill:#212529}.grid{stroke:#e9ecef}
.pass{color:#2b8a3e;font-weight:700}.fail{color:#c92a2a;font-weight:700}code{background:#f1f3f5;padding:1px 4px}
</style></head><body>
<h1>Load test: ${escapeHtml(report.scenario)} — audit ${verdict}</h1>
<p>Command: <code>${escapeHtml(report.command)}</code><br>
Machine: ${escapeHtml(`${report.machine.cpus} cores (${report.machine.cpuModel}), ${report.machine.memoryGiB} GiB, Node ${report.machine.node}; load average ${report.machine.loadAverage1m} at the start`)} — shared: compare ratios, not absolutes.<br>
Target: ${escapeHtml(report.target.startedByTool ? `engine started by the tool (${report.target.url})` : report.target.url)}; ${report.catalogue.skus} SKUs at ${report.catalogue.nodes} nodes. ${escapeHtml(report.startedAt)} → ${escapeHtml(report.finishedAt)}.</p>
${table(['measure', 'value'], headline.map(([k, v]) => [k, v]))}
${charts.join('\n')}
<h2>Latency by status class (ms, from intended send)</h2>
${table(['class', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'], Object.entries(r.latency.byClass).map(([c, l]) => [c, String(l.count), String(l.p50Ms), String(l.p90Ms), String(l.p99Ms), String(l.p999Ms), String(l.maxMs)]))}
<h2>By operation</h2>
${table(['operation', 'answered', 'p50 ms', 'p99 ms', 'max ms', 'outcomes'], Object.entries(r.byOperation).map(([name, op]) => [name, String(op.count), String(op.latency.p50Ms), String(op.latency.p99Ms), String(op.latency.maxMs), Object.entries(op.outcomes).map(([l, c]) => `${l} × ${c}`).join(', ')]))}
<h2>Audit: ${verdict}</h2>
${table(['check', 'result', 'details'], report.audit.checks.map((c) => [c.name, c.pass ? 'ok' : 'FAIL', [c.summary, ...c.problems].join('\n')]))}
<p>The run's ledger: ${escapeHtml(Object.entries(report.ledger).map(([k, v]) => `${k} ${v}`).join(', '))}.</p>
</body></html>
`;
}
