// The SigmaHQ rules for Azure and Microsoft 365 (../shared/sigma-rules, development material): every
// rule whose logsource has a table converts and validates, except the ones listed with their reason.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaceholders } from '../../src/cli/sigma.js';
import { importSigma } from '../../src/sigma/import.js';
import { DEFAULT_MAPPING } from '../../src/sigma/mapping.js';
import { ROOT } from '../helpers/cli.js';

const CORPUS = join(ROOT, '..', 'shared', 'sigma-rules');

describe.skipIf(!existsSync(CORPUS))('SigmaHQ rules for Microsoft clouds (../shared/sigma-rules)', () => {
  it('convert and validate, except the rules with no table or no column for what they test', () => {
    const { placeholders } = loadPlaceholders(join(ROOT, 'docs', 'examples', 'sigma-placeholders.yaml'));
    const folders = ['rules/cloud', 'rules-placeholder/cloud', 'rules-threat-hunting/cloud', 'deprecated/cloud', 'unsupported/cloud'].map((f) => join(CORPUS, f));
    const r = importSigma(folders, { mapping: DEFAULT_MAPPING, placeholders }, CORPUS);
    expect(r.diagnostics).toEqual([]);
    const reasons = r.failed.map((f) => `${f.from.split('/').pop()}: ${f.diagnostics[0]!.message.split(/[:;(]/)[0]}`).sort();
    expect(reasons).toEqual(
      [
        'azure_aad_secops_signin_failure_bad_password_threshold.yml: condition',
        'azure_ad_auth_failure_increase.yml: field \'Count\' cannot be read from SigninLogs',
        'azure_ad_auth_sucess_increase.yml: field \'Count\' cannot be read from SigninLogs',
        'azure_pim_account_stale.yml: no Sentinel table for logsource ',
        'azure_pim_invalid_license.yml: no Sentinel table for logsource ',
        'azure_pim_role_assigned_outside_of_pim.yml: no Sentinel table for logsource ',
        'azure_pim_role_frequent_activation.yml: no Sentinel table for logsource ',
        'azure_pim_role_no_mfa_required.yml: no Sentinel table for logsource ',
        'azure_pim_role_not_used.yml: no Sentinel table for logsource ',
        'azure_pim_too_many_global_admins.yml: no Sentinel table for logsource ',
      ].sort(),
    );
    expect(r.converted.length).toBe(150);
    // the Threat Intelligence mail rule reads Defender XDR EmailEvents
    const ti = r.converted.find((c) => c.from.endsWith('microsoft365_suspicious_email_delivered.yml'))!;
    expect(String(ti.rule.query)).toBe('EmailEvents\n| where isnotempty(ThreatTypes)\n| where EmailDirection =~ "Inbound" and not(DeliveryAction =~ "Blocked")\n');
  }, 240_000);
});
