// Bearer tokens: `Authorization: Bearer <token>`, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Which routes need the token: 'writes' (POST and DELETE /v1/items) or 'all' (every route but the probes). */
export type AuthScope = 'writes' | 'all';

/** Bearer-token authorization of the routes. */
export interface AuthOptions {
  /** The token; without one, no route needs authorization. */
  token?: string;
  /** 'writes' (default): add and delete need the token; 'all': every route but /healthz and /readyz. */
  scope?: AuthScope;
}

/**
 * A checker of Authorization headers. Both sides are hashed to 32 bytes first, so the comparison
 * takes the same time whatever the length or content of the presented token.
 */
export function bearerChecker(token: string): (header: string | undefined) => 'ok' | 'missing' | 'wrong' {
  if (typeof token !== 'string' || token.length === 0) throw new TypeError('the token must be a non-empty string');
  const expected = createHash('sha256').update(token, 'utf8').digest();
  return (header) => {
    if (typeof header !== 'string') return 'missing';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match) return 'missing';
    const presented = createHash('sha256').update(match[1], 'utf8').digest();
    return timingSafeEqual(presented, expected) ? 'ok' : 'wrong';
  };
}
