// Orchestrates a synthesized tenant: plan who is attacked and who is a look-alike, then generate
// day by day (every user, then the attacks of that day) and stream the rows to disk.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ATTACKS, type AttackName, type Label } from './attacks.js';
import { type Ctx, benignDay, breakGlassDay } from './benign.js';
import { LOOKALIKE_NAMES, type Lookalike, type LookalikeLabel, makeLookalike, relocate } from './lookalikes.js';
import type { Tenant, User } from './model.js';
import { Rng } from './prng.js';
import { buildTenant, phoneFor } from './tenant.js';
import { DAY, iso7 } from './time.js';
import { excludedAccountsCsv, hostingAsnCsv, trustedEgressCsv } from './watchlists.js';
import { DayBufferedWriter } from './writer.js';

export interface SynthOptions {
  users: number;
  days: number;
  seed: string;
  attacks: readonly AttackName[];
  start: number; // ms, UTC
}

export interface SynthResult {
  counts: Record<string, number>;
  labels: Label[];
  lookalikes: LookalikeLabel[];
}

/** Users the scenarios need besides ordinary ones. */
export function minUsers(attacks: number): number {
  return Math.max(20, attacks + LOOKALIKE_NAMES.length + 10);
}

interface Plan {
  attacks: Map<number, { name: AttackName; day: number; id: string }>;
  lookalikes: Map<number, { la: Lookalike; id: string }>;
}

/** The i-th of n events spread evenly over the working days after day 0 (day 0 is baseline). */
function spread(i: number, n: number, t: Tenant): number {
  const all = Array.from({ length: t.days }, (_, d) => d);
  const weekdays = all.filter((d) => d > 0 && new Date(t.start + d * DAY).getUTCDay() % 6 !== 0);
  let pool = weekdays.length ? weekdays : all.filter((d) => d > 0).length ? all.filter((d) => d > 0) : all;
  // The last day is cut at midnight UTC, mid-afternoon in the Americas: avoid it when there is a choice.
  if (pool.length > 1 && pool[pool.length - 1] === t.days - 1) pool = pool.slice(0, -1);
  return pool[Math.floor(((i + 0.5) * pool.length) / n)]!;
}

function plan(t: Tenant, o: SynthOptions, rng: Rng): Plan {
  const order = t.users.map((u) => u.index);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const taken = new Set<number>();
  const take = (ok: (u: User) => boolean): User => {
    const idx = order.find((i) => !taken.has(i) && ok(t.users[i]!)) ?? order.find((i) => !taken.has(i))!;
    taken.add(idx);
    return t.users[idx]!;
  };
  const p: Plan = { attacks: new Map(), lookalikes: new Map() };
  o.attacks.forEach((name, i) => {
    const u = take(() => true);
    p.attacks.set(u.index, { name, day: spread(i, o.attacks.length, t), id: `atk-${String(i + 1).padStart(2, '0')}-${name}` });
  });
  const berlin = t.offices.find((of) => of.place.country === 'DE')!;
  LOOKALIKE_NAMES.forEach((kind, i) => {
    const la = makeLookalike(kind, spread(i, LOOKALIKE_NAMES.length, t), o.days);
    const want = kind === 'vpn-egress' ? (u: User) => u.homePlace.country === 'DE' : kind === 'travel' ? (u: User) => u.homePlace.country === 'US' : kind === 'carrier-change' ? (u: User) => !!u.phone : () => true;
    const u = take(want);
    const r = rng.fork(`lookalike:${kind}`);
    if (kind === 'vpn-egress' && u.homePlace.country !== 'DE') relocate(u, berlin, r);
    if (kind === 'travel' && u.homePlace.country !== 'US') relocate(u, t.offices[2]!, r);
    if (kind === 'carrier-change' && !u.phone) u.phone = phoneFor(r, u.homePlace.country);
    la.prepare?.(u, r);
    p.lookalikes.set(u.index, { la, id: `lal-${String(i + 1).padStart(2, '0')}-${kind}` });
  });
  return p;
}

/** Generates the tenant into `dir` (which must exist and be empty). */
export async function synthesize(o: SynthOptions, dir: string): Promise<SynthResult> {
  const root = new Rng(`sessionguard-synth\u0000${o.seed}`);
  const t = buildTenant(root, o.users, o.start, o.days);
  const p = plan(t, o, root.fork('plan'));
  const end = o.start + o.days * DAY;
  const w = new DayBufferedWriter(dir, o.start, end);
  const ctx: Ctx = { t, emit: w.emit };
  const labels: Label[] = [];
  try {
    for (let d = 0; d < o.days; d++) {
      for (const u of t.users) {
        const rng = root.fork(`day:${d}:user:${u.index}`);
        const atk = p.attacks.get(u.index);
        const la = p.lookalikes.get(u.index);
        const opts = la?.la.options(ctx, u, d, rng) ?? {};
        if (atk?.day === d) opts.forceActive = true;
        const s = benignDay(ctx, u, d, rng, opts);
        if (la && s) la.la.after?.(ctx, u, d, s.begin, rng);
        if (atk?.day === d && s) labels.push(ATTACKS[atk.name](ctx, s, root.fork(`attack:${atk.id}`), atk.id));
      }
      breakGlassDay(ctx, d, root.fork(`day:${d}:breakglass`));
      await w.flushThrough(d);
    }
  } finally {
    await w.close();
  }
  labels.sort((a, b) => a.id.localeCompare(b.id));
  // Steps past the end of the period (late offline detections) have no rows; leave them out.
  for (const l of labels) l.steps = l.steps.filter((s) => Date.parse(s.at) < end);
  const lookalikes: LookalikeLabel[] = [...p.lookalikes.values()]
    .map(({ la, id }) => {
      const u = t.users.find((x) => p.lookalikes.get(x.index)?.id === id)!;
      return { id, account: u.upn, kind: la.kind, userId: u.id, from: iso7(o.start + la.day * DAY), note: la.note };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  lookalikes.push({ id: 'lal-99-break-glass', account: t.breakGlass.upn, kind: 'break-glass', userId: t.breakGlass.id, note: 'break-glass account (in sg_excluded_accounts): FIDO2 sign-ins to the Azure portal from the office' });
  await mkdir(join(dir, 'watchlists'));
  await writeFile(join(dir, 'labels.json'), JSON.stringify(labels, null, 2) + '\n');
  await writeFile(join(dir, 'lookalikes.json'), JSON.stringify(lookalikes, null, 2) + '\n');
  await writeFile(join(dir, 'watchlists', 'sg_trusted_egress.csv'), trustedEgressCsv(t));
  await writeFile(join(dir, 'watchlists', 'sg_excluded_accounts.csv'), excludedAccountsCsv(t));
  await writeFile(join(dir, 'watchlists', 'sg_hosting_asn.csv'), hostingAsnCsv());
  const manifest = {
    generator: 'sessionguard synth',
    seed: o.seed,
    users: o.users,
    days: o.days,
    start: iso7(o.start),
    end: iso7(end),
    tenantId: t.tenantId,
    domain: t.domain,
    attacks: o.attacks,
    rows: w.counts,
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { counts: w.counts, labels, lookalikes };
}
