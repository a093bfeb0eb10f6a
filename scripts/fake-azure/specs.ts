// Request validation against the official REST specifications (azure-rest-api-specs), with oav.
// The specs are development material: the caller passes their folder, or nothing (then only the
// fake's own checks run).
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SI = 'specification/securityinsights/resource-manager/Microsoft.SecurityInsights';

export interface SpecIssue {
  code: string;
  message: string;
  path: string;
}

export interface SpecResult {
  /** The api-version the body was checked against (may differ from the request's, see below). */
  checkedAt: string;
  issues: SpecIssue[];
}

/** Staged api-versions per resource type (lower-case type after the provider). */
const STAGED: Record<string, string[]> = {
  'microsoft.securityinsights/alertrules': ['2025-12-01', '2025-07-01-preview'],
  'microsoft.securityinsights/automationrules': ['2025-12-01'],
  'microsoft.insights/workbooks': ['2023-06-01'],
};

export function stagedVersions(type: string): string[] | undefined {
  return STAGED[type.toLowerCase()];
}

interface LiveValidatorLike {
  initialize(): Promise<void>;
  validateLiveRequest(r: { url: string; method: string; headers?: Record<string, string>; body?: Record<string, unknown> }): Promise<{
    errors: { code: string; message: string; pathsInPayload?: string[] }[];
    runtimeException?: { code: string; message: string };
  }>;
}

export class SpecValidator {
  private constructor(
    private readonly validator: LiveValidatorLike,
    private readonly dir: string,
  ) {}

  /** Loads the specs below `specsDir` (a copy of azure-specs); undefined when the folder is absent. */
  static async load(specsDir: string | undefined): Promise<SpecValidator | undefined> {
    if (!specsDir || !existsSync(join(specsDir, 'specification'))) return undefined;
    const dir = mkdtempSync(join(tmpdir(), 'sg-specs-'));
    cpSync(join(specsDir, 'specification'), join(dir, 'specification'), { recursive: true });
    // Known gap: the 2025-07-01-preview AlertRules refers to its own common/AlertTypes.json, which is
    // not staged; the 2025-04-01-preview copy carries the same two enums.
    const missing = join(dir, SI, 'preview/2025-07-01-preview/common/AlertTypes.json');
    const standIn = join(dir, SI, 'preview/2025-04-01-preview/common/AlertTypes.json');
    if (!existsSync(missing) && existsSync(standIn)) {
      mkdirSync(dirname(missing), { recursive: true });
      cpSync(standIn, missing);
    }
    // oav is a development dependency, loaded only when specs are given.
    const oav = (await import('oav')) as unknown as { LiveValidator: new (o: object, log?: (m: string, l: string) => void) => LiveValidatorLike };
    const validator = new oav.LiveValidator(
      {
        directory: dir,
        swaggerPathsPattern: ['specification/securityinsights/**/*.json', 'specification/applicationinsights/**/*.json'],
        excludedSwaggerPathsPattern: ['**/examples/**', '**/common/**', '**/common-types/**'],
        git: { shouldClone: false },
        isPathCaseSensitive: false,
      },
      () => undefined,
    );
    await validator.initialize();
    return new SpecValidator(validator, dir);
  }

  /**
   * Problems of a request body against the spec of `checkedAt` (an api-version that is staged).
   * `url` is the request path + query; its api-version is replaced by `checkedAt`.
   */
  async check(method: string, path: string, checkedAt: string, body: unknown): Promise<SpecResult> {
    const url = `https://management.azure.com${path}?api-version=${checkedAt}`;
    const r = await this.validator.validateLiveRequest({
      url,
      method: method.toLowerCase(),
      headers: { 'content-type': 'application/json' },
      body: body as Record<string, unknown>,
    });
    const issues: SpecIssue[] = r.errors.map((e) => ({ code: e.code, message: e.message, path: (e.pathsInPayload ?? []).join(',') }));
    if (r.runtimeException) issues.push({ code: r.runtimeException.code, message: r.runtimeException.message, path: '' });
    return { checkedAt, issues };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
