// Writes a workspace's output folder all at once: into a temporary folder beside it, then renamed
// into place, so a failed build never leaves a partial dist/.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes several trees; all are staged before any is swapped in. */
export function writeTrees(trees: { target: string; files: Map<string, string> }[]): void {
  const staged: { target: string; tmp: string }[] = [];
  try {
    for (const t of trees) {
      mkdirSync(dirname(t.target), { recursive: true });
      const tmp = join(dirname(t.target), `.${Date.now()}-${process.pid}-${staged.length}.tmp`);
      for (const [rel, content] of t.files) {
        const p = join(tmp, rel);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, content);
      }
      staged.push({ target: t.target, tmp });
    }
    for (const s of staged) {
      const old = `${s.tmp}.old`;
      if (existsSync(s.target)) renameSync(s.target, old);
      renameSync(s.tmp, s.target);
      rmSync(old, { recursive: true, force: true });
    }
  } finally {
    for (const s of staged) rmSync(s.tmp, { recursive: true, force: true });
  }
}
