// POST /v1/encode: feature rows of a modality -> packed codes (base64).
import { problems } from '../schemas.js';
import { codesToBase64 } from '../wire.js';
import type { RouteContext } from './context.js';

export function encodeRoutes({ app, service, schemas }: RouteContext): void {
  app.post('/v1/encode', {
    bodyLimit: service.bodyLimit,
    schema: {
      summary: "Codes of feature rows (the model's hash function of that modality)",
      tags: ['encode'],
      body: schemas.EncodeBody,
      response: { 200: schemas.EncodeResult, ...problems(400, 401, 413, 415, 503) },
    },
  }, async (request) => {
    const codes = await service.encode(request.body.modality, request.body.features);
    return { bits: codes.bits, count: codes.count, codes: codesToBase64(codes) };
  });
}
