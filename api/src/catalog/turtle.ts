import jsonld from 'jsonld';
import { Parser, Writer } from 'n3';
import { CONTEXT } from './dcat.js';

/**
 * A JSON-LD document as Turtle: expanded to RDF with its inline context (jsonld, no document loading), then
 * written with the catalogue's prefixes (n3).
 */
export async function toTurtle(doc: Record<string, unknown>): Promise<string> {
  const nquads = await jsonld.toRDF(doc, { format: 'application/n-quads' }) as unknown as string;
  const quads = new Parser({ format: 'application/n-quads' }).parse(nquads);
  const writer = new Writer({ prefixes: { ...CONTEXT } });
  writer.addQuads(quads);
  return new Promise((resolve, reject) => writer.end((err, out: string) => (err ? reject(err) : resolve(out))));
}
