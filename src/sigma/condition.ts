// The Sigma condition grammar: identifiers, `and`/`or`/`not`, parentheses, `1 of x*`, `all of them`.
// Precedence, loosest first: or, and, not, `x of`, parentheses.

export type CondAst =
  | { k: 'id'; name: string; at: number }
  | { k: 'and' | 'or'; xs: CondAst[] }
  | { k: 'not'; x: CondAst }
  | { k: 'of'; all: boolean; pattern: string; at: number };

export class ConditionError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

interface Tok {
  t: string;
  at: number;
}

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s+|([()])|([A-Za-z0-9_*.-]+)|(\|)|(.)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    if (m[1] || m[2]) out.push({ t: m[0], at: m.index });
    else if (m[3]) throw new ConditionError("the pipe syntax ('| count() by …', 'near') is obsolete in Sigma 2; write a correlation rule instead", m.index);
    else if (m[4]) throw new ConditionError(`unexpected character '${m[4]}' in condition`, m.index);
  }
  return out;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of']);

export function parseCondition(s: string): CondAst {
  const toks = tokenize(s);
  let i = 0;
  const peek = () => toks[i];
  const end = s.length;
  const expect = (what: string): never => {
    const t = peek();
    throw new ConditionError(t ? `expected ${what}, found '${t.t}'` : `expected ${what} at the end of the condition`, t ? t.at : end);
  };
  const orExpr = (): CondAst => {
    const xs = [andExpr()];
    while (peek()?.t === 'or') (i++, xs.push(andExpr()));
    return xs.length === 1 ? xs[0]! : { k: 'or', xs };
  };
  const andExpr = (): CondAst => {
    const xs = [notExpr()];
    while (peek()?.t === 'and') (i++, xs.push(notExpr()));
    return xs.length === 1 ? xs[0]! : { k: 'and', xs };
  };
  const notExpr = (): CondAst => {
    if (peek()?.t === 'not') {
      i++;
      return { k: 'not', x: notExpr() };
    }
    return primary();
  };
  const primary = (): CondAst => {
    const t = peek();
    if (!t) return expect('a search identifier');
    if (t.t === '(') {
      i++;
      const x = orExpr();
      if (peek()?.t !== ')') expect("')'");
      i++;
      return x;
    }
    if (toks[i + 1]?.t === 'of') {
      if (!['1', 'any', 'all'].includes(t.t)) throw new ConditionError(`'${t.t} of' is not Sigma; use '1 of', 'any of' or 'all of'`, t.at);
      i += 2;
      const target = peek();
      if (!target || target.t === '(' || target.t === ')' || KEYWORDS.has(target.t)) expect("'them' or an identifier pattern after 'of'");
      i++;
      return { k: 'of', all: t.t === 'all', pattern: target!.t, at: target!.at };
    }
    if (t.t === ')' || KEYWORDS.has(t.t)) expect('a search identifier');
    if (t.t.includes('*')) throw new ConditionError(`a pattern such as '${t.t}' needs '1 of' or 'all of' before it`, t.at);
    i++;
    return { k: 'id', name: t.t, at: t.at };
  };
  const ast = orExpr();
  if (i < toks.length) expect("'and', 'or' or the end of the condition");
  return ast;
}

/** Identifiers an `x of pattern` selects; `them` and patterns not starting with `_` skip `_`-prefixed ones. */
export function selectIdentifiers(pattern: string, ids: string[]): string[] {
  if (pattern === 'them') return ids.filter((x) => !x.startsWith('_'));
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return ids.filter((x) => re.test(x) && (pattern.startsWith('_') || !x.startsWith('_')));
}
