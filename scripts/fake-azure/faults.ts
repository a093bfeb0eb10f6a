// Faults injected on demand: throttling, server errors, dropped connections, slow answers.
export interface FaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Substring or regular expression matched against the request path (any when absent). */
  path?: string | RegExp;
  /** How many matching requests it hits before it is used up (default 1; Infinity for always). */
  times?: number;
  /** Probability in [0,1] that a matching request is hit (default 1); uses the fake's seeded random. */
  probability?: number;
  /** Answer with this status instead of serving the request. */
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Close the connection without an answer. */
  drop?: boolean;
  /** Wait this long before serving (or before answering with `status`). */
  delayMs?: number;
}

export interface ActiveFault extends FaultSpec {
  id: number;
  hits: number;
}

export class Faults {
  private list: ActiveFault[] = [];
  private next = 1;
  private seed: number;
  constructor(seed = 42) {
    this.seed = seed >>> 0 || 1;
  }

  add(spec: FaultSpec): number {
    const f: ActiveFault = { times: 1, ...spec, id: this.next++, hits: 0 };
    this.list.push(f);
    return f.id;
  }

  remove(id: number): void {
    this.list = this.list.filter((f) => f.id !== id);
  }

  clear(): void {
    this.list = [];
  }

  get active(): readonly ActiveFault[] {
    return this.list;
  }

  // xorshift: failure patterns repeat from run to run.
  private random(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed / 0x100000000;
  }

  /** The fault that hits this request, if any (and counts the hit). */
  match(method: string, path: string): ActiveFault | undefined {
    for (const f of this.list) {
      if (f.hits >= (f.times ?? 1)) continue;
      if (f.method && f.method.toUpperCase() !== method.toUpperCase()) continue;
      if (f.path !== undefined) {
        const ok = typeof f.path === 'string' ? path.toLowerCase().includes(f.path.toLowerCase()) : f.path.test(path);
        if (!ok) continue;
      }
      if (f.probability !== undefined && this.random() >= f.probability) continue;
      f.hits++;
      return f;
    }
    return undefined;
  }
}
