// The documentation examples (../shared/kql-conformance, when present) must keep passing: a floor on
// the pass rate of the examples the engine runs.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDocExample, type DocExample } from '../../scripts/conformance-lib.js';

const file = new URL('../../../shared/kql-conformance/docs-examples.jsonl', import.meta.url).pathname;

describe.skipIf(!existsSync(file))('KQL reference examples', () => {
  it('pass at least 87% of the examples that run', async () => {
    const examples = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as DocExample);
    let pass = 0;
    let fail = 0;
    for (const ex of examples) {
      const r = await runDocExample(ex);
      if (r.status === 'pass') pass++;
      else if (r.status === 'fail') fail++;
    }
    expect(pass).toBeGreaterThan(280);
    expect(pass / (pass + fail)).toBeGreaterThanOrEqual(0.87);
  }, 300_000);
});
