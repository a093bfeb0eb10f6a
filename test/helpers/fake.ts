// Starts the local fake Azure for a test file, with the official specs when ../shared has them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { startFakeAzure, type RunningFake, type StartOptions } from '../../scripts/fake-azure/index.js';

export const SPECS_DIR = join(ROOT, '..', 'shared', 'azure-specs');
export const HAVE_AZURE_SPECS = existsSync(join(SPECS_DIR, 'specification'));

export async function fakeAzure(opts: StartOptions = {}): Promise<RunningFake> {
  return startFakeAzure({ specsDir: HAVE_AZURE_SPECS ? SPECS_DIR : undefined, ...opts });
}

export const SUB = '00000000-0000-0000-0000-000000000001';
