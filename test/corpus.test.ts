// The compatibility corpus: real Azure-Sentinel rules (../shared/sentinel-rules, development material).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KqlCache } from '../src/kql/cache.js';
import { checkRuleKql } from '../src/kql/check.js';
import { findRuleFiles, loadRuleFile } from '../src/rules/load.js';
import { ROOT } from './helpers/cli.js';

const CORPUS = join(ROOT, '..', 'shared', 'sentinel-rules');

describe.skipIf(!existsSync(CORPUS))('Azure-Sentinel rules (../shared/sentinel-rules)', () => {
  const files = findRuleFiles([CORPUS]).files;

  it('every rule loads unchanged', () => {
    expect(files.length).toBeGreaterThanOrEqual(100);
    const failures = files
      .map((f) => ({ f: relative(CORPUS, f), d: loadRuleFile(f).diagnostics.filter((x) => x.severity === 'error') }))
      .filter((x) => x.d.length);
    expect(failures).toEqual([]);
  });

  it('every query analyzes, except those reading tables or functions outside the schemas, or with real slips', () => {
    const cache = new KqlCache(null);
    const failing: string[] = [];
    for (const f of files) {
      const { rule } = loadRuleFile(f);
      const k = checkRuleKql(rule!, {}, cache);
      if (k.diagnostics.some((d) => d.severity === 'error')) failing.push(relative(CORPUS, f));
    }
    // Each one checked by hand: ASIM functions, Defender/ADFS/AWS tables we have no schema for, and two
    // upstream slips (NRT_NewAppOrServicePrincipalCredential maps columns its query does not output;
    // AuthenticationAttemptfromNewCountry reads LocationDetails.city after rebuilding it as a string).
    expect(failing.sort()).toEqual(
      [
        'Detections/SigninLogs/AuthenticationAttemptfromNewCountry.yaml',
        'Solutions/Business Email Compromise - Financial Fraud/Analytic Rules/SuspiciousAccessOfBECRelatedDocuments.yaml',
        'Solutions/Business Email Compromise - Financial Fraud/Analytic Rules/SuspiciousAccessOfBECRelatedDocumentsInAWSS3Buckets.yaml',
        'Solutions/Microsoft 365/Analytic Rules/PossibleWebpBufferOverflow.yaml',
        'Solutions/Microsoft Entra ID/Analytic Rules/ADFSSignInLogsPasswordSpray.yaml',
        'Solutions/Microsoft Entra ID/Analytic Rules/ExplicitMFADeny.yaml',
        'Solutions/Microsoft Entra ID/Analytic Rules/NRT_NewAppOrServicePrincipalCredential.yaml',
        'Solutions/SecurityThreatEssentialSolution/Analytic Rules/PossibleAiTMPhishingAttemptAgainstAAD.yaml',
      ].sort(),
    );
  }, 120_000);
});
