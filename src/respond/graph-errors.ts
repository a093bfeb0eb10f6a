// Graph failures in words a responder can act on; never the request's headers (they carry the token).
export interface GraphFailure {
  status: number;
  code: string;
  text: string;
}

export function describeGraphError(e: unknown, needs?: string): GraphFailure {
  const err = e as { statusCode?: number; code?: string; message?: string };
  const status = typeof err.statusCode === 'number' ? err.statusCode : 0;
  const code = err.code ?? 'error';
  let text: string;
  if (status === 403) text = `403 forbidden (${code}): the signed-in identity lacks the permission${needs ? ` (${needs})` : ''} or a directory role that allows it`;
  else if (status === 404) text = `404 not found (${code})`;
  else if (status === 429) text = `429 throttled by Microsoft Graph after the client's retries; nothing more was tried, run the command again later`;
  else if (status === 401) text = `401 unauthorized (${code}): sign in again (az login) or check the credential`;
  else if (status) text = `${status} ${code}: ${firstLine(err.message)}`;
  else text = `could not reach Microsoft Graph: ${firstLine(err.message)}`;
  return { status, code, text };
}

function firstLine(s: string | undefined): string {
  return (s ?? 'unknown error').split('\n')[0]!.slice(0, 300);
}
