// The documentation examples (../shared/kql-conformance, when present) must keep passing: a floor on
// the pass rate of the examples the engine runs, and the target over the examples inside its
// coverage (unsupported ones count as not passing there).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDocExample, type DocExample } from '../../scripts/conformance-lib.js';
import { inCoverage } from '../../scripts/conformance-coverage.js';

const file = new URL('../../../shared/kql-conformance/docs-examples.jsonl', import.meta.url).pathname;

describe.skipIf(!existsSync(file))('KQL reference examples', () => {
  it('pass at least 92% of the examples that run, and 95% of those inside the coverage', async () => {
    const examples = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as DocExample);
    let pass = 0;
    let fail = 0;
    let covPass = 0;
    let covOther = 0;
    for (const ex of examples) {
      const r = await runDocExample(ex);
      if (r.status === 'pass') pass++;
      else if (r.status === 'fail') fail++;
      if (inCoverage(ex.uses) && r.status !== 'skip') {
        if (r.status === 'pass') covPass++;
        else covOther++;
      }
    }
    expect(pass).toBeGreaterThan(300);
    expect(pass / (pass + fail)).toBeGreaterThanOrEqual(0.92);
    expect(covPass + covOther).toBeGreaterThan(150);
    expect(covPass / (covPass + covOther)).toBeGreaterThanOrEqual(0.95);
  }, 300_000);
});
