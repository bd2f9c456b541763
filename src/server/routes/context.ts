import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Schemas } from '../schemas.js';
import type { AscmhService } from '../service.js';

export type TypedApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What each route group gets: the (encapsulated) app to add routes to, the service, the schemas. */
export interface RouteContext {
  app: TypedApp;
  service: AscmhService;
  schemas: Schemas;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route changes the index (needs the token whenever one is set). */
    write?: boolean;
    /** A probe (/healthz, /readyz): never needs a token, and does not need the index. */
    probe?: boolean;
    /** Media types of the body (default: application/json). */
    accepts?: string[];
  }
}
