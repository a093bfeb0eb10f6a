// Workflow Definition Language expressions: the `@…` and `@{…}` templates inside a Logic App
// definition, parsed and evaluated for the subset of functions our generator emits.

export type Value = unknown;

type Node =
  | { k: 'lit'; v: Value }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'index'; target: Node; key: Node; safe: boolean };

export class ExprError extends Error {}

/** Context the functions read: action results, loop items, parameters, variables, the trigger. */
export interface Scope {
  call(name: string, args: Value[]): Value;
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): Node {
    const n = this.expr();
    this.ws();
    if (this.i < this.s.length) throw new ExprError(`unexpected '${this.s.slice(this.i, this.i + 10)}' in expression '${this.s}'`);
    return n;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private expr(): Node {
    this.ws();
    let n = this.primary();
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === '?' && this.s[this.i + 1] === '[') {
        this.i += 2;
        n = { k: 'index', target: n, key: this.closeIndex(), safe: true };
      } else if (c === '[') {
        this.i++;
        n = { k: 'index', target: n, key: this.closeIndex(), safe: false };
      } else if (c === '?' && this.s[this.i + 1] === '.') {
        this.i += 2;
        n = { k: 'index', target: n, key: { k: 'lit', v: this.ident() }, safe: true };
      } else if (c === '.') {
        this.i++;
        n = { k: 'index', target: n, key: { k: 'lit', v: this.ident() }, safe: false };
      } else return n;
    }
  }

  private closeIndex(): Node {
    const key = this.expr();
    this.ws();
    if (this.s[this.i] !== ']') throw new ExprError(`expected ']' in '${this.s}'`);
    this.i++;
    return key;
  }

  private ident(): string {
    const m = /^[A-Za-z_$][\w$]*/.exec(this.s.slice(this.i));
    if (!m) throw new ExprError(`expected a name at ${this.i} in '${this.s}'`);
    this.i += m[0].length;
    return m[0];
  }

  private primary(): Node {
    const c = this.s[this.i];
    if (c === "'") {
      let out = '';
      this.i++;
      for (;;) {
        if (this.i >= this.s.length) throw new ExprError(`unterminated string in '${this.s}'`);
        const ch = this.s[this.i++]!;
        if (ch === "'") {
          if (this.s[this.i] === "'") {
            out += "'";
            this.i++;
          } else break;
        } else out += ch;
      }
      return { k: 'lit', v: out };
    }
    const num = /^-?\d+(\.\d+)?/.exec(this.s.slice(this.i));
    if (num) {
      this.i += num[0].length;
      return { k: 'lit', v: Number(num[0]) };
    }
    const name = this.ident();
    if (name === 'true' || name === 'false') return { k: 'lit', v: name === 'true' };
    if (name === 'null') return { k: 'lit', v: null };
    this.ws();
    if (this.s[this.i] !== '(') throw new ExprError(`expected '(' after ${name} in '${this.s}'`);
    this.i++;
    const args: Node[] = [];
    this.ws();
    if (this.s[this.i] === ')') {
      this.i++;
      return { k: 'call', name, args };
    }
    for (;;) {
      args.push(this.expr());
      this.ws();
      const d = this.s[this.i++];
      if (d === ')') break;
      if (d !== ',') throw new ExprError(`expected ',' or ')' in call to ${name} in '${this.s}'`);
    }
    return { k: 'call', name, args };
  }
}

const parsed = new Map<string, Node>();
export function parseExpression(text: string): Node {
  let n = parsed.get(text);
  if (!n) {
    n = new Parser(text).parse();
    parsed.set(text, n);
  }
  return n;
}

function evalNode(n: Node, scope: Scope): Value {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'index': {
      const t = evalNode(n.target, scope);
      const key = evalNode(n.key, scope);
      if (t === null || t === undefined) {
        if (n.safe) return null;
        throw new ExprError(`cannot select '${String(key)}' from null`);
      }
      if (Array.isArray(t) && typeof key === 'number') return t[key] ?? null;
      if (typeof t === 'object' && typeof key === 'string') {
        const obj = t as Record<string, Value>;
        // WDL property names are case-insensitive.
        if (key in obj) return obj[key];
        const found = Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase());
        if (found !== undefined) return obj[found];
        if (n.safe) return null;
        throw new ExprError(`property '${key}' does not exist`);
      }
      if (n.safe) return null;
      throw new ExprError(`cannot select '${String(key)}' from ${typeof t}`);
    }
    case 'call': {
      // Every argument is evaluated first, if() included: Logic Apps does the same, so an expression
      // that works here does not depend on a branch being left alone.
      const args = n.args.map((a) => evalNode(a, scope));
      if (n.name === 'if') {
        if (args.length !== 3) throw new ExprError('if() takes 3 arguments');
        return args[0] === true ? args[1] : args[2];
      }
      return scope.call(n.name, args);
    }
  }
}

export function evaluate(expression: string, scope: Scope): Value {
  return evalNode(parseExpression(expression), scope);
}

/** Finds the `}` that closes an `@{` at `start` (the index after `{`), skipping quoted strings. */
function closingBrace(s: string, start: number): number {
  let depth = 1;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (c === "'") {
      i++;
      while (i < s.length && !(s[i] === "'" && s[i + 1] !== "'")) i += s[i] === "'" ? 2 : 1;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  throw new ExprError(`unterminated @{ in '${s}'`);
}

/** A string value from the definition: `@expr` gives the value, `@{expr}` parts are interpolated. */
export function evaluateString(s: string, scope: Scope): Value {
  if (s.startsWith('@@')) return s.slice(1);
  if (s.startsWith('@') && !s.startsWith('@{')) return evaluate(s.slice(1), scope);
  if (!s.includes('@{')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const j = s.indexOf('@{', i);
    if (j < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, j);
    const end = closingBrace(s, j + 2);
    out += stringOf(evaluate(s.slice(j + 2, end), scope));
    i = end + 1;
  }
  return out;
}

/** Every string in a JSON value evaluated as a template. */
export function evaluateValue(v: Value, scope: Scope): Value {
  if (typeof v === 'string') return evaluateString(v, scope);
  if (Array.isArray(v)) return v.map((x) => evaluateValue(x, scope));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, evaluateValue(x, scope)]));
  return v;
}

/** Every expression inside a string (for static checks): `@expr` or each `@{expr}`. */
export function expressionsIn(s: string): string[] {
  if (s.startsWith('@@')) return [];
  if (s.startsWith('@') && !s.startsWith('@{')) return [s.slice(1)];
  const out: string[] = [];
  let i = 0;
  for (;;) {
    const j = s.indexOf('@{', i);
    if (j < 0) return out;
    const end = closingBrace(s, j + 2);
    out.push(s.slice(j + 2, end));
    i = end + 1;
  }
}

/** Calls in a parsed expression, for static checks (function name and literal first argument). */
export function callsIn(expression: string): { name: string; first?: Value }[] {
  const out: { name: string; first?: Value }[] = [];
  const walk = (n: Node) => {
    if (n.k === 'call') {
      out.push({ name: n.name, first: n.args[0]?.k === 'lit' ? n.args[0].v : undefined });
      n.args.forEach(walk);
    } else if (n.k === 'index') {
      walk(n.target);
      walk(n.key);
    }
  };
  walk(parseExpression(expression));
  return out;
}

/** How WDL turns a value into text inside `@{…}`: strings as is, the rest as compact JSON. */
export function stringOf(v: Value): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
