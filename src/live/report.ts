// The backtest's HTML report: per rule a per-day bar chart (inline SVG) and the top entities, in the
// look of the replay report (runner/report.ts). Self-contained, no external assets.
import type { BacktestResult, RuleBacktest } from './backtest.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Every day of the range, so quiet days show as empty bars. */
function days(r: BacktestResult): string[] {
  const out: string[] = [];
  for (let t = Date.parse(r.start.slice(0, 10)); t <= Date.parse(r.end); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

function chart(rule: RuleBacktest, all: string[]): string {
  const per = new Map(rule.perDay.map((d) => [d.day, d.alerts]));
  const max = Math.max(1, ...per.values());
  const W = 860;
  const H = 120;
  const bw = Math.max(2, Math.floor((W - 40) / Math.max(1, all.length)) - 2);
  const bars = all.map((d, i) => {
    const n = per.get(d) ?? 0;
    const h = Math.round((n / max) * (H - 40));
    const x = 20 + i * (bw + 2);
    return `<rect x="${x}" y="${H - 20 - h}" width="${bw}" height="${h}" fill="#d35400"><title>${esc(d)}: ${n} alert${n === 1 ? '' : 's'}</title></rect>${n ? `<text x="${x + bw / 2}" y="${H - 24 - h}" font-size="10" text-anchor="middle" fill="#555">${n}</text>` : ''}`;
  });
  return `<svg class="perday" role="img" aria-label="alerts per day for ${esc(rule.id)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">
<line x1="20" y1="${H - 20}" x2="${W - 20}" y2="${H - 20}" stroke="#555"/>${bars.join('')}
<text x="20" y="${H - 6}" font-size="10" fill="#555">${esc(all[0] ?? '')}</text><text x="${W - 20}" y="${H - 6}" font-size="10" fill="#555" text-anchor="end">${esc(all[all.length - 1] ?? '')}</text></svg>`;
}

export function renderBacktestReport(r: BacktestResult): string {
  const all = days(r);
  const sections = r.rules
    .map((rule) => {
      const ents = rule.perEntity
        .slice(0, 20)
        .map((e) => `<tr><td>${esc(e.type)}</td><td>${esc(Object.entries(e.identifiers).map(([k, v]) => `${k}=${v}`).join(' '))}</td><td>${e.alerts}</td></tr>`)
        .join('\n');
      return `<section class="rule"><h3>${esc(rule.id)} <small>${esc(rule.name)}</small></h3>
<p>${rule.alerts} alerts in ${rule.alertingRuns} of ${rule.windows} runs · ${rule.unbatchedBecause ? `window by window (${esc(rule.unbatchedBecause)})` : 'batched'} · ${rule.queries} queries, ${rule.cachedWindows} windows from the cache${rule.truncatedWindows ? ` · ${rule.truncatedWindows} windows truncated by the service` : ''}</p>
${chart(rule, all)}
${ents ? `<table class="entities"><thead><tr><th>entity</th><th>identifiers</th><th>alerts</th></tr></thead><tbody>\n${ents}\n</tbody></table>` : '<p>No alerts.</p>'}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sessionguard backtest: ${esc(r.workspace)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;font-size:12px}
section.rule{margin:12px 0;padding:8px;border:1px solid #eee}small{color:#666;font-weight:normal}
</style></head><body>
<h1>sessionguard backtest — workspace ${esc(r.workspace)}</h1>
<p>${esc(r.start.slice(0, 16).replace('T', ' '))} → ${esc(r.end.slice(0, 16).replace('T', ' '))} · ${r.rules.length} rules · ${r.rules.reduce((n, x) => n + x.alerts, 0)} alerts</p>
<h2>Rules</h2>
${sections}
</body></html>
`;
}
