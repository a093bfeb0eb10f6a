// The WDL expression evaluator on its own: templates, selection, functions, errors.
import { describe, expect, it } from 'vitest';
import { evaluateString, ExprError, type Scope } from '../../src/playbooks/wdl/expr.js';
import { FUNCTIONS } from '../../src/playbooks/wdl/functions.js';
import { runWorkflow } from '../../src/playbooks/wdl/run.js';

const now = () => new Date('2026-03-02T09:00:00Z');
const trigger = { object: { id: '/x/Incidents/1', properties: { Title: 'kit', relatedEntities: [{ kind: 'Account' }] } } };
const scope: Scope = {
  call(name, args) {
    if (name === 'triggerBody') return trigger;
    if (name === 'parameters') return ({ ids: ['a', 'b'], n: 3 } as Record<string, unknown>)[String(args[0])];
    if (name === 'boom') throw new ExprError('boom was evaluated');
    return FUNCTIONS[name]!(args, name, now);
  },
};
const ev = (s: string) => evaluateString(s, scope);

describe('WDL expressions', () => {
  it('@expr gives a value of any type, @{expr} interpolates text, @@ escapes', () => {
    expect(ev("@triggerBody()?['object']?['properties']?['relatedEntities']")).toEqual([{ kind: 'Account' }]);
    expect(ev("incident @{triggerBody()?['object']?['id']} has @{length(parameters('ids'))} ids")).toBe('incident /x/Incidents/1 has 2 ids');
    expect(ev('@@literal')).toBe('@literal');
    expect(ev('mail me at a@b.com')).toBe('mail me at a@b.com');
  });

  it('selection is null-safe with ?[ and case-insensitive; strict [ fails on null', () => {
    expect(ev("@triggerBody()?['object']?['properties']?['title']")).toBe('kit');
    expect(ev("@triggerBody()?['nothing']?['deeper']")).toBeNull();
    expect(() => ev("@triggerBody()['nothing']['deeper']")).toThrow(ExprError);
  });

  it('functions: strings, logic, collections, dates', () => {
    expect(ev("@concat('a', 1, true)")).toBe('a1true');
    expect(ev("@encodeURIComponent('ana lopez@contoso.com')")).toBe('ana%20lopez%40contoso.com');
    expect(ev("@and(equals('ABC', 'abc'), not(contains(parameters('ids'), 'c')), or(false, greater(parameters('n'), 2)))")).toBe(true);
    expect(ev("@coalesce(null, triggerBody()?['missing'], 'x')")).toBe('x');
    expect(ev("@union(parameters('ids'), createArray('b', 'c'))")).toEqual(['a', 'b', 'c']);
    expect(ev("@first(split('a/b/c', '/'))")).toBe('a');
    expect(ev("@join(createArray('x', 'y'), '; ')")).toBe('x; y');
    expect(ev("@addHours('2026-03-02T09:00:00Z', -1)")).toBe('2026-03-02T08:00:00.0000000Z');
    expect(ev('@utcNow()')).toBe('2026-03-02T09:00:00.0000000Z');
    expect(ev("@formatDateTime('2026-03-02T09:00:00.1234567Z', 's')")).toBe('2026-03-02T09:00:00');
    expect(ev("@greater(ticks('2026-03-02T09:00:01Z'), ticks('2026-03-02T09:00:00Z'))")).toBe(true);
    expect(ev("@int('42')")).toBe(42);
    expect(ev("@json('{\"a\":[1]}')")).toEqual({ a: [1] });
    expect(ev("@string(createArray(1, 'it''s'))")).toBe('[1,"it\'s"]');
  });

  it('if() evaluates both branches, as Logic Apps does, and returns the one it takes', () => {
    expect(ev("@if(equals(1, 1), 'yes', 'no')")).toBe('yes');
    expect(ev("@if(equals(1, 2), 'yes', 'no')")).toBe('no');
    expect(() => ev("@if(equals(1, 1), 'yes', boom())")).toThrow('boom was evaluated');
  });

  it('syntax errors say where', () => {
    expect(() => ev("@concat('a'")).toThrow(ExprError);
    expect(() => ev("@concat('a',)")).toThrow(ExprError);
    expect(() => ev("x @{concat('a')")).toThrow('unterminated @{');
  });
});

describe('the executor', () => {
  const def = (actions: Record<string, unknown>) => ({ triggers: {}, actions });
  const none = { http: async () => ({ statusCode: 500, headers: {}, body: null }), connectors: {}, triggerBody: {}, now };

  it('runAfter statuses decide what runs; an unhandled failure fails the run', async () => {
    const r = await runWorkflow({
      ...none,
      definition: def({
        Init: { type: 'InitializeVariable', inputs: { variables: [{ name: 'log', type: 'array', value: [] }] }, runAfter: {} },
        Call: { type: 'Http', inputs: { method: 'GET', uri: 'https://x.invalid/', retryPolicy: { type: 'none' } }, runAfter: { Init: ['Succeeded'] } },
        OnSuccess: { type: 'AppendToArrayVariable', inputs: { name: 'log', value: 'success' }, runAfter: { Call: ['Succeeded'] } },
        OnFailure: { type: 'AppendToArrayVariable', inputs: { name: 'log', value: "@{outputs('Call')?['statusCode']}" }, runAfter: { Call: ['Failed'] } },
        After: { type: 'AppendToArrayVariable', inputs: { name: 'log', value: 'after' }, runAfter: { OnSuccess: ['Succeeded', 'Skipped'] } },
      }),
    });
    expect(r.variables.log).toEqual(['500', 'after']);
    expect(r.actions.map((a) => `${a.name}:${a.status}`)).toEqual(['Init:Succeeded', 'Call:Failed', 'OnSuccess:Skipped', 'OnFailure:Succeeded', 'After:Succeeded']);
    expect(r.status).toBe('Succeeded');
    const failed = await runWorkflow({ ...none, definition: def({ Call: { type: 'Http', inputs: { method: 'GET', uri: 'https://x.invalid/', retryPolicy: { type: 'none' } }, runAfter: {} } }) });
    expect(failed.status).toBe('Failed');
  });

  it('retries 429 and 5xx as its retry policy says', async () => {
    const codes = [429, 503, 200];
    const seen: number[] = [];
    const r = await runWorkflow({
      ...none,
      http: async () => {
        const c = codes.shift()!;
        seen.push(c);
        return { statusCode: c, headers: {}, body: { ok: c } };
      },
      retryIntervalScale: 0,
      definition: def({ Call: { type: 'Http', inputs: { method: 'GET', uri: 'https://x.invalid/', retryPolicy: { type: 'fixed', count: 2, interval: 'PT10S' } }, runAfter: {} } }),
    });
    expect(seen).toEqual([429, 503, 200]);
    expect(r.status).toBe('Succeeded');
  });

  it('Foreach gives items() per iteration and reading a skipped action fails the action', async () => {
    const r = await runWorkflow({
      ...none,
      triggerBody: { xs: ['a', 'b'] },
      definition: def({
        Init: { type: 'InitializeVariable', inputs: { variables: [{ name: 'out', type: 'array' }] }, runAfter: {} },
        Loop: {
          type: 'Foreach',
          foreach: "@triggerBody()?['xs']",
          actions: {
            Up: { type: 'Compose', inputs: "@toLower(concat(items('Loop'), 'X'))", runAfter: {} },
            Add: { type: 'AppendToArrayVariable', inputs: { name: 'out', value: "@outputs('Up')" }, runAfter: { Up: ['Succeeded'] } },
          },
          runAfter: { Init: ['Succeeded'] },
        },
        Never: { type: 'Compose', inputs: 'x', runAfter: { Loop: ['Failed'] } },
        ReadNever: { type: 'Compose', inputs: "@outputs('Never')", runAfter: { Never: ['Skipped'] } },
      }),
    });
    expect(r.variables.out).toEqual(['ax', 'bx']);
    expect(r.actions.find((a) => a.name === 'ReadNever')).toMatchObject({ status: 'Failed', error: "the action 'Never' did not run, so its result cannot be read" });
  });
});
