import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, FIXED_RULES, Rule, RuleSet, USUAL_RULES } from './rules.js';

const usual = { id: 'slow', name: 'Slow', severity: 'warning', type: 'usual', kind: 'traffic', metric: 'speed_kmh', op: 'below', share: 0.6, for_s: 600 };
const issues = (x: unknown): string[] => {
  const r = Rule.safeParse(x);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('usual rules (a metric against the asset\'s usual value for this hour of the week)', () => {
  it('reads "40 % slower than usual for 10 min" with its defaults: four weeks, all day, 10 % hysteresis', () => {
    expect(Rule.parse(usual)).toEqual({ ...usual, enabled: true, weeks: 4, clear_hysteresis: 0.1 });
  });

  it('takes night hours, as "night baseload 50 % above its usual"', () => {
    const night = { ...usual, kind: 'energy', metric: 'power_kw', op: 'above', share: 1.5, from_hour: 0, to_hour: 5 };
    expect(Rule.parse(night)).toMatchObject({ from_hour: 0, to_hour: 5 });
  });

  it('refuses a metric of another kind, a share on the wrong side of 1, half a window of hours and unknown fields', () => {
    expect(issues({ ...usual, metric: 'power_kw' })).toEqual(['metric: traffic metrics are speed_kmh, travel_time_s, flow_veh_h, occupancy_pct']);
    expect(issues({ ...usual, share: 1.2 })).toEqual(['share: below the usual needs a share under 1']);
    expect(issues({ ...usual, op: 'above' })).toEqual(['share: above the usual needs a share over 1']);
    expect(issues({ ...usual, from_hour: 22 })).toEqual(['to_hour: give both from_hour and to_hour, or neither']);
    expect(issues({ ...usual, from_hour: 5, to_hour: 5 })).toEqual(['to_hour: the hours must end after they start']);
    expect(issues({ ...usual, weeks: 0 })).toHaveLength(1);
    expect(issues({ ...usual, value: 20 })).toHaveLength(1);
  });

  it('the fixed and the usual rules are valid rule sets together; the built-in set has the usual congestion rule and the other fixed rules', () => {
    expect(RuleSet.parse({ rules: [...FIXED_RULES, ...USUAL_RULES] }).rules).toHaveLength(FIXED_RULES.length + USUAL_RULES.length);
    expect(RuleSet.parse({ rules: DEFAULT_RULES }).rules.map((r) => r.id)).toEqual(['congestion-usual', 'hotspot-offline', 'building-power', 'night-baseload']);
  });
});
