// Wraps a command action: user errors are printed as file:line:col lines and exit 1; nothing
// a user passes in may end in a stack trace.
import pc from 'picocolors';
import { UserError, formatDiagnostic, sortDiagnostics } from '../diagnostics.js';

export function fail(err: unknown): never {
  if (err instanceof UserError) {
    for (const d of sortDiagnostics(err.diagnostics)) console.error(formatDiagnostic(d));
    if (err.message) console.error(pc.red(err.message));
    process.exit(1);
  }
  const msg = err instanceof Error ? err.message : String(err);
  console.error(pc.red(`sessionguard: internal error: ${msg}`));
  if (process.env.SESSIONGUARD_DEBUG && err instanceof Error) console.error(err.stack);
  else console.error('(set SESSIONGUARD_DEBUG=1 for details, and please report it)');
  process.exit(2);
}

/** Turns an async command body into a commander action with uniform error handling. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      fail(err);
    }
  };
}
