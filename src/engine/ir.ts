// The engine's own plain representation of a query, built by translate.ts from the analyzed tree.
import type { KType, Val } from './values.js';

export interface Col {
  name: string;
  type: KType;
}

export type Expr =
  | { k: 'lit'; t: KType; v: Val }
  | { k: 'col'; name: string; t: KType; side?: 'left' | 'right' }
  | { k: 'var'; name: string; t: KType }
  | { k: 'call'; fn: string; args: Expr[]; t: KType; at: string }
  | { k: 'bin'; op: string; l: Expr; r: Expr; t: KType }
  | { k: 'in'; op: string; x: Expr; list: Expr[]; sub?: Tab }
  | { k: 'between'; neg: boolean; x: Expr; lo: Expr; hi: Expr }
  | { k: 'path'; x: Expr; key: Expr; t: KType }
  | { k: 'scalar'; q: Tab; t: KType }
  | { k: 'scope'; binds: Bind[]; body: Expr; t: KType }
  | { k: 'star' };

export interface Agg {
  fn: string;
  args: Expr[];
  /** Output columns this aggregate produces (several for arg_max/arg_min). */
  out: Col[];
  /** arg_max/arg_min: names of the columns to return, '*' for all. */
  star?: boolean;
  at: string;
}

export type Bind = { name: string; expr?: Expr; tab?: Tab; fn?: true };

export type Tab =
  | { k: 'table'; name: string }
  | { k: 'ref'; name: string }
  | { k: 'watchlist'; alias: Expr }
  | { k: 'datatable'; cols: Col[]; rows: Expr[] }
  | { k: 'externaldata'; cols: Col[]; urls: string[]; format: string; skipFirst: boolean }
  | { k: 'print'; cols: Col[]; exprs: Expr[] }
  | { k: 'range'; col: Col; from: Expr; to: Expr; step: Expr }
  | { k: 'scope'; binds: Bind[]; body: Tab }
  | { k: 'materialize'; id: number; q: Tab }
  | { k: 'union'; inputs: Tab[]; opts: UnionOpts }
  | { k: 'pipe'; src: Tab; op: Op }
  | { k: 'input' };

export interface UnionOpts {
  kind: 'inner' | 'outer';
  withsource?: string;
  isfuzzy: boolean;
  /** Source names, in input order, for withsource. */
  names: string[];
}

export interface SortKey {
  e: Expr;
  desc: boolean;
  nullsFirst: boolean;
}

export type Op =
  | { k: 'where'; cond: Expr }
  | { k: 'extend'; items: { name: string; e: Expr }[] }
  | { k: 'project'; items: { name: string; e: Expr }[] }
  | { k: 'project-away'; names: string[] }
  | { k: 'project-keep'; names: string[] }
  | { k: 'project-rename'; pairs: { to: string; from: string }[] }
  | { k: 'project-reorder'; names: string[]; desc?: boolean }
  | { k: 'summarize'; by: { name: string; e: Expr }[]; aggs: Agg[] }
  | { k: 'join'; kind: string; right: Tab; keys: { l: Expr; r: Expr }[]; out: Col[]; lookup?: boolean }
  | { k: 'union'; others: Tab[]; opts: UnionOpts }
  | { k: 'mv-expand'; items: { name: string; e: Expr; t: KType }[]; limit?: Expr; withItemIndex?: string; kindArray?: boolean }
  | { k: 'mv-apply'; items: { name: string; e: Expr; t: KType }[]; sub: Tab; withItemIndex?: string; out: Col[] }
  | { k: 'parse'; src: Expr; pattern: ParsePart[]; where: boolean; regex: boolean; relaxed?: boolean; flags?: string }
  | { k: 'sort'; keys: SortKey[] }
  | { k: 'take'; n: Expr }
  | { k: 'top'; n: Expr; key: SortKey }
  | { k: 'distinct'; items: { name: string; e: Expr }[]; all: boolean }
  | { k: 'count'; name: string }
  | { k: 'serialize'; items: { name: string; e: Expr }[] }
  | { k: 'getschema' }
  | { k: 'bag_unpack'; col: string; prefix: string; conflict: string; ignored?: string[]; out: Col[]; schema: boolean }
  | { k: 'make-series'; aggs: { name: string; agg: Agg; dflt: Expr }[]; on: Expr; onName: string; from?: Expr; to?: Expr; step: Expr; by: { name: string; e: Expr }[] }
  | { k: 'pivot'; col: string; agg: Agg | null; by: string[] | null }
  /** evaluate ipv4_lookup: `src` (a column of the input) looked up in the ranges of `lookup`'s column
   *  `key`, `extra` columns equal on both sides; `out` is the analyzer's schema (input columns, then
   *  the lookup table's without the extra keys). `at` locates the call for run-time errors. */
  | { k: 'ipv4_lookup'; lookup: Tab; src: string; key: string; extra: string[]; unmatched: boolean; out: Col[]; at: string }
  | { k: 'top-nested'; levels: { n: Expr | null; key: Expr; agg: Agg; desc: boolean }[]; out: Col[] }
  | { k: 'as'; name: string }
  | { k: 'invoke'; body: Tab };

export type ParsePart = { k: 'lit'; s: string } | { k: 'star' } | { k: 'cap'; name: string; t: KType };

export interface Statement {
  binds: Bind[];
  query: Tab | null;
  out: Col[];
}
