import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { AssetCollection, SeriesColumnar, SeriesResponse } from '@cityhub/contracts';

/**
 * Bulk answers built field by field from typed store rows or the loaded catalogue: checking them against
 * their schema on every request costs more than building them (500,000 series points: ~1–2 s against
 * ~0.5 s for JSON.stringify), so they are typed by their schema at compile time only.
 */
const BULK: ReadonlySet<unknown> = new Set([SeriesResponse, SeriesColumnar, AssetCollection]);

/**
 * Every other answer is encoded through its zod schema: what leaves is what the OpenAPI document
 * promises, and a field a schema does not name (say, a secret hash) never leaves.
 */
export const serializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  if (BULK.has(route.schema)) return (data) => JSON.stringify(data);
  return zodSerializerCompiler(route as Parameters<typeof zodSerializerCompiler>[0]);
};
