// Device filter rules (conditions.devices.deviceFilter.rule): a small parser and evaluator for
// `device.<property> -<operator> <value>` joined by -and / -or, with parentheses.

export interface DeviceFacts {
  deviceId: string | null;
  displayName: string | null;
  operatingSystem: string | null;
  isCompliant: boolean | null;
  /** AzureAD (joined), ServerAD (hybrid joined), Workplace (registered), or null when unregistered. */
  trustType: string | null;
}

type Value = string | boolean | string[];
type Expr = { op: 'and' | 'or'; left: Expr; right: Expr } | { prop: keyof DeviceFacts; cmp: string; value: Value };

export class FilterError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const PROPS: Record<string, keyof DeviceFacts> = { deviceid: 'deviceId', displayname: 'displayName', operatingsystem: 'operatingSystem', iscompliant: 'isCompliant', trusttype: 'trustType' };
const CMPS = ['eq', 'ne', 'startswith', 'notstartswith', 'endswith', 'notendswith', 'contains', 'notcontains', 'in', 'notin'];

interface Tok {
  kind: 'word' | 'op' | 'str' | '(' | ')' | '[' | ']' | ',';
  text: string;
  at: number;
}

function tokenize(rule: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < rule.length) {
    const c = rule[i]!;
    if (/\s/.test(c)) i++;
    else if ('()[],'.includes(c)) out.push({ kind: c as Tok['kind'], text: c, at: i++ });
    else if (c === '"') {
      const end = rule.indexOf('"', i + 1);
      if (end < 0) throw new FilterError('unterminated string', i);
      out.push({ kind: 'str', text: rule.slice(i + 1, end), at: i });
      i = end + 1;
    } else if (c === '-') {
      const m = /^-[A-Za-z]+/.exec(rule.slice(i));
      if (!m) throw new FilterError(`unexpected '-'`, i);
      out.push({ kind: 'op', text: m[0].slice(1).toLowerCase(), at: i });
      i += m[0].length;
    } else {
      const m = /^[A-Za-z0-9_.]+/.exec(rule.slice(i));
      if (!m) throw new FilterError(`unexpected '${c}'`, i);
      out.push({ kind: 'word', text: m[0], at: i });
      i += m[0].length;
    }
  }
  return out;
}

/** Parses a rule; throws FilterError with the offset of the problem. */
export function parseFilter(rule: string): Expr {
  const toks = tokenize(rule);
  let p = 0;
  const peek = () => toks[p];
  const fail = (msg: string): never => {
    throw new FilterError(msg, peek()?.at ?? rule.length);
  };
  const value = (): Value => {
    const t = peek() ?? fail('expected a value');
    if (t.kind === 'str') return (p++, t.text);
    if (t.kind === 'word' && /^(true|false)$/i.test(t.text)) return (p++, t.text.toLowerCase() === 'true');
    if (t.kind === '[') {
      p++;
      const list: string[] = [];
      while (peek()?.kind !== ']') {
        const s = peek();
        if (s?.kind !== 'str') fail('expected a quoted string in the list');
        list.push(s!.text);
        p++;
        if (peek()?.kind === ',') p++;
      }
      p++;
      return list;
    }
    return fail(`expected a quoted string, True, False or a list`);
  };
  const term = (): Expr => {
    const t = peek() ?? fail('expected device.<property>');
    if (t.kind === '(') {
      p++;
      const e = or();
      if (peek()?.kind !== ')') fail(`expected ')'`);
      p++;
      return e;
    }
    const m = t.kind === 'word' ? /^device\.(\w+)$/i.exec(t.text) : null;
    if (!m) return fail(`expected device.<property>, got '${t.text}'`);
    const prop = PROPS[m[1]!.toLowerCase()];
    if (!prop) throw new FilterError(`unknown device property '${m[1]}'; known: ${Object.values(PROPS).join(', ')}`, t.at);
    p++;
    const o = peek();
    if (o?.kind !== 'op' || !CMPS.includes(o.text)) return fail(`expected an operator (-eq, -ne, -startsWith, -contains, -in, …)`);
    p++;
    const v = value();
    if ((o.text === 'in' || o.text === 'notin') !== Array.isArray(v)) throw new FilterError(`-${o.text} ${Array.isArray(v) ? 'does not take' : 'takes'} a list`, o.at);
    return { prop, cmp: o.text, value: v };
  };
  const and = (): Expr => {
    let e = term();
    while (peek()?.kind === 'op' && peek()!.text === 'and') {
      p++;
      e = { op: 'and', left: e, right: term() };
    }
    return e;
  };
  const or = (): Expr => {
    let e = and();
    while (peek()?.kind === 'op' && peek()!.text === 'or') {
      p++;
      e = { op: 'or', left: e, right: and() };
    }
    return e;
  };
  const e = or();
  if (p < toks.length) fail(`unexpected '${toks[p]!.text}'`);
  return e;
}

/** An unregistered device has every property null: positive tests fail, negative ones hold. */
export function evalFilter(e: Expr, d: DeviceFacts): boolean {
  if ('op' in e) return e.op === 'and' ? evalFilter(e.left, d) && evalFilter(e.right, d) : evalFilter(e.left, d) || evalFilter(e.right, d);
  const raw = d[e.prop];
  const negative = e.cmp === 'ne' || e.cmp.startsWith('not');
  if (raw === null) return negative;
  const have = String(raw).toLowerCase();
  const v = Array.isArray(e.value) ? e.value.map((x) => x.toLowerCase()) : String(e.value).toLowerCase();
  switch (e.cmp) {
    case 'eq':
      return have === v;
    case 'ne':
      return have !== v;
    case 'startswith':
      return have.startsWith(v as string);
    case 'notstartswith':
      return !have.startsWith(v as string);
    case 'endswith':
      return have.endsWith(v as string);
    case 'notendswith':
      return !have.endsWith(v as string);
    case 'contains':
      return have.includes(v as string);
    case 'notcontains':
      return !have.includes(v as string);
    case 'in':
      return (v as string[]).includes(have);
    default:
      return !(v as string[]).includes(have);
  }
}
