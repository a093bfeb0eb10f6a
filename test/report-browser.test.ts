// Opens the replay report in headless Chromium and checks that the timelines and the incident table
// render. Needs Debian's chromium (.ci/run installs it); skips, saying why, where it is absent.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileWorkspace } from '../src/compile/build.js';
import { loadPlaybooks } from '../src/playbooks/model.js';
import { openProject } from '../src/project.js';
import { renderReport } from '../src/runner/report.js';
import { simulate } from '../src/runner/simulate.js';
import { project } from './helpers/cli.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!CHROMIUM) console.warn('report-browser.test: skipped, no Chromium at /usr/bin/chromium (apt-get install chromium)');

describe.skipIf(!CHROMIUM)('the HTML report in a browser', () => {
  it('renders a timeline per attack and the incident table', async () => {
    const rule = `id: B-1\nname: Browser test\ndescription: Kit user agents.\nseverity: High\nkind: NRT\nquery: |\n  SigninLogs\n  | where UserAgent has "axios"\n  | project TimeGenerated, UserId, UserPrincipalName, IPAddress\nentityMappings:\n  - entityType: Account\n    fieldMappings:\n      - identifier: AadUserId\n        columnName: UserId\n  - entityType: IP\n    fieldMappings:\n      - identifier: Address\n        columnName: IPAddress\nresponse:\n  tier: contain\n`;
    const rows = ['u-1', 'u-2']
      .map((u, i) => JSON.stringify({ TimeGenerated: `2026-03-02T10:0${i}:00Z`, _TimeReceived: `2026-03-02T10:0${i + 2}:00Z`, UserId: u, UserPrincipalName: `${u}@contoso.com`, IPAddress: `1.2.3.${i}`, UserAgent: 'axios/1.7' }))
      .join('\n');
    const labels = JSON.stringify([{ id: 'atk-1', account: 'u-1@contoso.com', start: '2026-03-02T09:59:00Z' }, { id: 'atk-2', account: 'u-2@contoso.com', start: '2026-03-02T10:01:00Z' }]);
    const dir = project({ 'rules/b.yaml': rule, 'playbooks/pb.yaml': 'name: pb\ntier: contain\nsteps: [revokeSessions, comment]\n', 'logs/SigninLogs.ndjson': rows, 'labels.json': labels });
    const p = openProject(dir, { noCache: true });
    const out = compileWorkspace({ workspace: p.config.workspaces[0]!, workspaceIndex: 0, configSource: null, delayProfile: {}, rules: p.rules, cache: p.cache });
    const report = await simulate({ project: p, output: out, playbooks: loadPlaybooks([join(dir, 'playbooks')]).playbooks, logs: [join(dir, 'logs')], labels: join(dir, 'labels.json') });
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(report));

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href);
      const timelines = page.locator('svg.timeline');
      expect(await timelines.count()).toBe(2);
      for (let i = 0; i < 2; i++) {
        const box = await timelines.nth(i).boundingBox();
        expect(box!.width).toBeGreaterThan(400);
        expect(box!.height).toBeGreaterThan(50);
        expect(await timelines.nth(i).locator('circle').count()).toBeGreaterThanOrEqual(3); // event, alert, revocation
      }
      expect(await page.locator('#incidents tbody tr').count()).toBe(2);
      expect(await page.locator('#incidents tbody tr').first().innerText()).toContain('u-1@contoso.com');
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
