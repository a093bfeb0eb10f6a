// The compatibility corpus: real Azure-Sentinel rules (../shared/sentinel-rules, development material).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCorpusQuery } from '../scripts/conformance-lib.js';
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
    // Each one checked by hand: two upstream slips (NRT_NewAppOrServicePrincipalCredential maps columns
    // its query does not output; SuspiciousAccessOfBECRelatedDocuments, now that imFileEvent is known,
    // names `number_of_files_accessed` in its alert format, a column its query does not output). The ADFS, Defender XDR and AWS tables these rules read are in
    // src/kql/tables.ts, the ASIM parsers (imFileEvent, _Im_WebSession) in src/kql/asim.ts;
    // AuthenticationAttemptfromNewCountry analyzes because column_ifexists reads the union's
    // LocationDetails_dynamic as the dynamic column it is.
    expect(failing.sort()).toEqual(
      [
        'Solutions/Business Email Compromise - Financial Fraud/Analytic Rules/SuspiciousAccessOfBECRelatedDocuments.yaml',
        'Solutions/Microsoft Entra ID/Analytic Rules/NRT_NewAppOrServicePrincipalCredential.yaml',
      ].sort(),
    );
  }, 120_000);

  it('every query runs on the local engine over two rows per table, except series_decompose_anomalies', async () => {
    const ext = mkdtempSync(join(tmpdir(), 'sg-corpus-ext-'));
    const run: string[] = [];
    const unsupported: Record<string, string> = {};
    const errors: Record<string, string[]> = {};
    try {
      for (const f of files) {
        const { rule } = loadRuleFile(f);
        const name = relative(CORPUS, f);
        const r = await runCorpusQuery(rule!.query, { file: name, small: true, externalData: ext });
        if (r.status === 'run') run.push(name);
        else if (r.status === 'unsupported') unsupported[name] = r.message;
        else errors[name] = r.diagnostics.length ? r.diagnostics : [r.message];
      }
    } finally {
      rmSync(ext, { recursive: true, force: true });
    }
    const R = 'Solutions/Microsoft Entra ID/Analytic Rules/';
    expect(unsupported).toEqual({
      // imFileEvent (ASIM) reads ASimFileEventLogs; the query then reaches series_decompose_anomalies
      'Solutions/Business Email Compromise - Financial Fraud/Analytic Rules/SuspiciousAccessOfBECRelatedDocuments.yaml': 'unsupported: series_decompose_anomalies() at 19:41',
      'Solutions/Business Email Compromise - Financial Fraud/Analytic Rules/SuspiciousAccessOfBECRelatedDocumentsInAWSS3Buckets.yaml': 'unsupported: series_decompose_anomalies() at 15:41',
      'Solutions/Microsoft 365/Analytic Rules/MailItemsAccessedTimeSeries.yaml': 'unsupported: series_decompose_anomalies() at 14:41',
      [R + 'AnomalousUserAppSigninLocationIncrease-detection.yaml']: 'unsupported: series_decompose_anomalies() at 14:41',
      [R + 'Brute Force Attack against GitHub Account.yaml']: 'unsupported: series_decompose_anomalies() at 27:17',
      [R + 'BruteForceAgainstanEntraAuthenticatedWindowsDevice.yaml']: 'unsupported: series_decompose_anomalies() at 11:41',
      [R + 'BruteForceCloudPC.yaml']: 'unsupported: series_decompose_anomalies() at 11:41',
      [R + 'PrivilegedAccountsSigninFailureSpikes.yaml']: 'unsupported: series_decompose_anomalies() at 26:45',
      [R + 'UserAccounts-CABlockedSigninSpikes.yaml']: 'unsupported: series_decompose_anomalies() at 20:41',
    });
    expect(errors).toEqual({});
    // _Im_WebSession (ASIM, pack=True) over ASimWebSessionLogs, and todynamic() of a dynamic value
    expect(run).toContain('Solutions/SecurityThreatEssentialSolution/Analytic Rules/PossibleAiTMPhishingAttemptAgainstAAD.yaml');
    // the rules that read the ADFS, Defender XDR and AWS tables run (or reach series_decompose_anomalies)
    for (const f of ['AuthenticationAttemptfromNewCountry.yaml', 'ADFSSignInLogsPasswordSpray.yaml', 'ExplicitMFADeny.yaml', 'PossibleWebpBufferOverflow.yaml']) expect(run.some((r) => r.endsWith('/' + f))).toBe(true);
    expect(run.length).toBe(98);
    expect(files.length).toBe(107);
  }, 300_000);
});
