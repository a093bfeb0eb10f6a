// Analysis and formatting results kept on disk by content hash, like eslint --cache: Kusto.Language
// needs ~1 s to start and 10–300 ms per rule, and most rules do not change between builds.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { analyze, format, KNOWN_TABLE_COLUMNS, type Analysis, type SchemaEnv } from './kusto.js';
import { ASIM_PARSERS } from './asim.js';

const CACHE_FORMAT = 1;

function kustoVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    return (req('@kusto/language-service-next/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 32);

interface Store {
  key: string;
  analyses: Record<string, Analysis>;
  formats: Record<string, string>;
}

export class KqlCache {
  private store: Store;
  private dirty = false;
  private readonly key = sha(JSON.stringify([CACHE_FORMAT, kustoVersion(), KNOWN_TABLE_COLUMNS, ASIM_PARSERS]));
  hits = 0;
  misses = 0;

  /** `file` null keeps results in memory only. */
  constructor(private readonly file: string | null) {
    this.store = { key: this.key, analyses: {}, formats: {} };
    if (!file) return;
    try {
      const loaded = JSON.parse(readFileSync(file, 'utf8')) as Store;
      if (loaded.key === this.key && loaded.analyses && loaded.formats) this.store = loaded;
    } catch {
      // missing or unreadable: start empty
    }
  }

  /** The schema part of a key, once per environment (the tables' JSON is tens of kilobytes). */
  private envKeys = new WeakMap<SchemaEnv, string>();

  analyze(text: string, env: SchemaEnv): Analysis {
    let ek = this.envKeys.get(env);
    if (ek === undefined) {
      ek = sha(JSON.stringify(env.watchlists ?? {}) + '\u0000' + (env.tables ? JSON.stringify(env.tables) : ''));
      this.envKeys.set(env, ek);
    }
    const k = sha(ek + '\u0000' + text);
    const hit = this.store.analyses[k];
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const a = analyze(text, env);
    this.store.analyses[k] = a;
    this.dirty = true;
    return a;
  }

  format(text: string): string {
    const k = sha(text);
    const hit = this.store.formats[k];
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const f = format(text);
    this.store.formats[k] = f;
    this.dirty = true;
    return f;
  }

  /** Writes the cache if anything changed; a failure to write is not an error. */
  save(): void {
    if (!this.file || !this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.store));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // read-only checkout: run without a cache
    }
  }
}
