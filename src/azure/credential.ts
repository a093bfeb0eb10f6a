// Credentials: DefaultAzureCredential for real use; a fixed bearer token only for loopback fakes.
import type { AccessToken, TokenCredential } from '@azure/identity';
import { DefaultAzureCredential } from '@azure/identity';
import { UserError } from '../diagnostics.js';
import { isLoopback, type Endpoints, type Env } from './endpoints.js';

/** The credential for these endpoints. The static token is refused unless every endpoint is on loopback. */
export function credentialFor(endpoints: Endpoints, env: Env = process.env): TokenCredential {
  const token = env.SESSIONGUARD_STATIC_TOKEN;
  if (token !== undefined && token !== '') {
    const remote = [endpoints.arm, endpoints.graph, endpoints.logs].filter((u) => !isLoopback(u));
    if (remote.length > 0) {
      // Never name the token itself: it is a secret.
      throw new UserError(
        `SESSIONGUARD_STATIC_TOKEN is accepted only for loopback endpoints (a local fake); ${remote.join(', ')} is not loopback. ` +
          'Set SESSIONGUARD_ARM_ENDPOINT, SESSIONGUARD_GRAPH_ENDPOINT and SESSIONGUARD_LOGS_ENDPOINT to the fake, or unset the token.',
      );
    }
    return staticCredential(token);
  }
  return new DefaultAzureCredential();
}

export function staticCredential(token: string): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token, expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}
