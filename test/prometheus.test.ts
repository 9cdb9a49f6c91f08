// The Prometheus rules and the Grafana dashboard in deploy/, checked against Prometheus' own tool (promtool,
// Debian's prometheus package: .ci/run installs it) and against the metrics the hub really serves (src/ops/metrics.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIR = `${ROOT}deploy/prometheus/`;

function promtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`promtool is needed (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The metric names the hub registers (src/ops/metrics.ts), with a histogram's series and the process metrics' prefix. */
function servedMetrics(): { names: Set<string>; prefix: string } {
  const src = ['src/ops/metrics.ts', 'src/ops/operation-metrics.ts'].map((f) => readFileSync(`${ROOT}${f}`, 'utf8')).join('\n');
  const names = new Set<string>();
  for (const m of src.matchAll(/new (Counter|Gauge|Histogram)\(\{ name: '(cityhub_[a-z_]+)'/g)) {
    names.add(m[2]!);
    if (m[1] === 'Histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(m[2]! + s);
  }
  const prefix = /prefix: '(cityhub_[a-z_]+)'/.exec(src)![1]!;
  return { names, prefix };
}
const metricsIn = (expr: string) => [...expr.matchAll(/\b(cityhub_[a-z_]+)\b/g)].map((m) => m[1]!);

describe('deploy/prometheus and deploy/grafana', () => {
  it('promtool checks the rules and passes their unit tests on synthetic series', () => {
    const check = promtool('check', 'rules', 'rules.yml');
    expect(check.out).toMatch(/SUCCESS: 7 rules found/);
    expect(check.status).toBe(0);
    const test = promtool('test', 'rules', 'rules.test.yml');
    expect(test.out).toMatch(/SUCCESS/);
    expect(test.status).toBe(0);
  });

  it('has a rule for each failure an operator must hear of, each tested firing', () => {
    const rules = (parse(readFileSync(`${DIR}rules.yml`, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(['CityHubSpoolFull', 'CityHubSpoolFilling', 'CityHubStoreWriteFailures', 'CityHubWriterLagging',
      'CityHubHighRejectionRate', 'CityHubDevicesOffline', 'CityHubAlertDeliveriesFailing']);
    const tests = parse(readFileSync(`${DIR}rules.test.yml`, 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
    const fired = new Set(tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    for (const r of rules) expect(fired, r.alert).toContain(r.alert);
  });

  it('names only metrics the hub serves, in the rules and in the dashboard', () => {
    const { names, prefix } = servedMetrics();
    const known = (n: string) => names.has(n) || n.startsWith(prefix);
    const rules = readFileSync(`${DIR}rules.yml`, 'utf8').split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
    const used = metricsIn(rules);
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !known(n))).toEqual([]);
    const dash = JSON.parse(readFileSync(`${ROOT}deploy/grafana/cityhub.json`, 'utf8')) as { uid: string; panels: Array<{ id: number; title: string; targets: Array<{ expr: string }> }> };
    expect(dash.uid).toBe('cityhub-overview');
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.flatMap(metricsIn).filter((n) => !known(n))).toEqual([]);
    // Every metric the hub serves is on the dashboard.
    const shown = new Set(exprs.flatMap(metricsIn).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
    expect([...names].filter((n) => !/_(bucket|count|sum)$/.test(n) && !shown.has(n))).toEqual([]);
  });
});
