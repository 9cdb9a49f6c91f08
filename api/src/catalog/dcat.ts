import type { ExportLicence, Kind } from '@cityhub/contracts';

/** Who publishes the catalogue, and whom to contact (`CITYHUB_CATALOG_*`). */
export interface CatalogOptions {
  publisher: string;
  publisherUrl?: string;
  contactName: string;
  contactEmail?: string;
  /** The hub's public address; default the address a request used. */
  publicUrl?: string;
}

/** What one catalogue is made of: the hub's address, who publishes it, the licence, the area and the time covered. */
export interface CatalogInput extends CatalogOptions {
  base: string;
  licence: ExportLicence;
  /** [west, south, east, north] of the municipality. */
  bbox: [number, number, number, number];
  /** The range of readings kept: raw retention days before `now`. */
  retentionDays: number;
  now: number;
}

/** The JSON-LD context of the catalogue: prefixes only, inline, so no processor fetches anything. */
export const CONTEXT = {
  dcat: 'http://www.w3.org/ns/dcat#', dct: 'http://purl.org/dc/terms/', foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#', xsd: 'http://www.w3.org/2001/XMLSchema#', skos: 'http://www.w3.org/2004/02/skos/core#',
  gsp: 'http://www.opengis.net/ont/geosparql#', rdfs: 'http://www.w3.org/2000/01/rdf-schema#', dcatap: 'http://data.europa.eu/r5r/',
} as const;

const EU = 'http://publications.europa.eu/resource/authority/';
const IANA = 'https://www.iana.org/assignments/media-types/';
const id = (iri: string) => ({ '@id': iri });
const en = (text: string) => ({ '@value': text, '@language': 'en' });
const date = (t: number) => ({ '@value': new Date(t).toISOString().slice(0, 10), '@type': 'xsd:date' });

/** The datasets of readings, one per kind, with the NGSI-LD type that serves each. */
const THEMES = { TRAN: 'Transport', TECH: 'Science and technology', ENER: 'Energy', REGI: 'Regions and cities' } as const;
/** A theme of the EU data-theme vocabulary, with its label (the shapes check concepts have one). */
const theme = (t: keyof typeof THEMES) => concept(`${EU}data-theme/${t}`, THEMES[t]);
/** A concept of a controlled vocabulary, with its label. */
const concept = (iri: string, label: string) => ({ '@id': iri, '@type': 'skos:Concept', 'skos:prefLabel': en(label) });
/** A web page, typed as the shapes expect. */
const page = (iri: string) => ({ '@id': iri, '@type': 'foaf:Document' });

const KIND_DATASETS: Record<Kind, { title: string; description: string; theme: keyof typeof THEMES; ngsiType: string; keywords: string[] }> = {
  traffic: {
    title: 'Road traffic on the Thessaloniki road links', theme: 'TRAN', ngsiType: 'TrafficFlowObserved', keywords: ['traffic', 'speed', 'travel time'],
    description: 'Speed, travel time, flow and occupancy of the road links between the iTravel Bluetooth detectors, per reading and per 1 min, 15 min and 1 h.',
  },
  wifi: {
    title: 'Public Wi-Fi hotspot use in Thessaloniki', theme: 'TECH', ngsiType: 'AccessPoint', keywords: ['wi-fi', 'hotspot'],
    description: 'Connected clients and traffic of public Wi-Fi hotspots at venues of the city (simulated readings).',
  },
  energy: {
    title: 'Electricity use of municipal buildings in Thessaloniki', theme: 'ENER', ngsiType: 'ACMeasurement', keywords: ['energy', 'electricity'],
    description: 'Power and metered energy of buildings at venues of the city (simulated readings).',
  },
};

const FORMATS = {
  csv: { media: 'text/csv', fileType: 'CSV', title: 'CSV' },
  geojson: { media: 'application/geo+json', fileType: 'GEOJSON', title: 'GeoJSON' },
  parquet: { media: 'application/vnd.apache.parquet', fileType: 'PARQUET', title: 'Apache Parquet' },
  ngsi: { media: 'application/ld+json', fileType: 'JSON_LD', title: 'NGSI-LD (ETSI GS CIM 009)' },
} as const;

/** The licence of everything in the catalogue (CC BY 4.0 unless the city chose another). */
const licence = (c: CatalogInput) => ({
  '@id': c.licence.url, '@type': 'dct:LicenseDocument', 'rdfs:label': c.licence.name,
  'dct:type': concept('http://purl.org/adms/licencetype/Attribution', 'Attribution'),
});

function distribution(c: CatalogInput, key: string, format: keyof typeof FORMATS, accessUrl: string, service?: object) {
  const f = FORMATS[format];
  return {
    '@id': `${c.base}/api/v1/catalog#${key}-${format}`, '@type': 'dcat:Distribution',
    'dct:title': en(f.title), 'dct:description': en(`${f.title} from ${accessUrl.replace(c.base, '')}`), 'dcat:accessURL': id(accessUrl),
    'dcatap:availability': concept(`${EU}planned-availability/STABLE`, 'stable'),
    'dcat:mediaType': { '@id': IANA + f.media, '@type': 'dct:MediaType' },
    'dct:format': { '@id': `${EU}file-type/${f.fileType}`, '@type': 'dct:MediaTypeOrExtent' },
    'dct:license': licence(c),
    ...(service && { 'dcat:accessService': service }),
  };
}

/** The NGSI-LD endpoint as a data service, for the NGSI-LD distributions. */
const ngsiService = (c: CatalogInput, shared: ReturnType<typeof common>) => ({
  '@id': `${c.base}/api/v1/catalog#ngsi-ld`, '@type': 'dcat:DataService', 'dct:title': en('City Hub NGSI-LD API'),
  'dcat:endpointURL': { '@id': `${c.base}/ngsi-ld/v1`, '@type': 'rdfs:Resource' },
  'dcat:endpointDescription': { '@id': `${c.base}/openapi.json`, '@type': 'rdfs:Resource' },
  'dct:conformsTo': { '@id': 'https://www.etsi.org/deliver/etsi_gs/CIM/001_099/009/', '@type': 'dct:Standard' },
  'dcat:servesDataset': [...Object.keys(KIND_DATASETS), 'assets'].map((k) => id(`${c.base}/api/v1/catalog#dataset-${k}`)),
  'dcat:theme': theme('REGI'), 'dcat:keyword': [en('NGSI-LD'), en('Smart Data Models')], 'dct:license': licence(c),
  'dct:publisher': shared['dct:publisher'], 'dcat:contactPoint': shared['dcat:contactPoint'],
});

/** What every dataset shares: publisher, contact, area, licence of its distributions. */
function common(c: CatalogInput) {
  const [w, s, e, n] = c.bbox;
  return {
    'dct:publisher': {
      '@id': `${c.base}/api/v1/catalog#publisher`, '@type': 'foaf:Agent', 'foaf:name': c.publisher,
      'dct:type': concept('http://purl.org/adms/publishertype/LocalAuthority', 'Local Authority'), ...(c.publisherUrl && { 'foaf:homepage': page(c.publisherUrl) }),
    },
    'dcat:contactPoint': {
      '@id': `${c.base}/api/v1/catalog#contact`, '@type': ['vcard:Kind', 'vcard:Organization'], 'vcard:fn': c.contactName,
      ...(c.contactEmail ? { 'vcard:hasEmail': id(`mailto:${c.contactEmail}`) } : { 'vcard:hasURL': id(c.base) }),
    },
    'dct:spatial': {
      '@id': `${c.base}/api/v1/catalog#municipality`, '@type': 'dct:Location', 'skos:prefLabel': en('Municipality of Thessaloniki'),
      'dcat:bbox': { '@value': `POLYGON((${w} ${s},${e} ${s},${e} ${n},${w} ${n},${w} ${s}))`, '@type': 'gsp:wktLiteral' },
      'dcat:centroid': { '@value': `POINT(${(w + e) / 2} ${(s + n) / 2})`, '@type': 'gsp:wktLiteral' },
    },
  };
}

/** The DCAT-AP 3.0.1 catalogue of the hub's open data, as JSON-LD: one dataset per kind and one for the asset catalogue. */
export function buildCatalog(c: CatalogInput): Record<string, unknown> {
  const shared = common(c);
  const service = ngsiService(c, shared);
  const temporal = { '@type': 'dct:PeriodOfTime', 'dcat:startDate': date(c.now - c.retentionDays * 86_400_000), 'dcat:endDate': date(c.now) };
  const kinds = (Object.keys(KIND_DATASETS) as Kind[]).map((k) => {
    const d = KIND_DATASETS[k];
    return {
      '@id': `${c.base}/api/v1/catalog#dataset-${k}`, '@type': 'dcat:Dataset', 'dct:title': en(d.title), 'dct:description': en(d.description),
      'dcat:keyword': d.keywords.map(en), 'dcat:theme': theme(d.theme),
      'dct:accrualPeriodicity': { '@id': `${EU}frequency/UPDATE_CONT`, '@type': 'dct:Frequency' }, 'dct:temporal': temporal, ...shared,
      'dcat:distribution': [
        ...(['csv', 'geojson', 'parquet'] as const).map((f) => distribution(c, k, f, `${c.base}/api/v1/export?kind=${k}&format=${f}`)),
        distribution(c, k, 'ngsi', `${c.base}/ngsi-ld/v1/entities?type=${d.ngsiType}`, service),
      ],
    };
  });
  const assets = {
    '@id': `${c.base}/api/v1/catalog#dataset-assets`, '@type': 'dcat:Dataset', 'dct:title': en('City Hub asset catalogue of Thessaloniki'),
    'dct:description': en('Road links, Wi-Fi hotspots and metered buildings with their geometry and stable ids.'),
    'dcat:keyword': [en('road network'), en('assets')], 'dcat:theme': theme('REGI'),
    'dct:accrualPeriodicity': { '@id': `${EU}frequency/IRREG`, '@type': 'dct:Frequency' }, ...shared,
    'dcat:distribution': [
      distribution(c, 'assets', 'geojson', `${c.base}/api/v1/assets`),
      distribution(c, 'assets', 'ngsi', `${c.base}/ngsi-ld/v1/entities?type=RoadSegment`, service),
    ],
  };
  return {
    '@context': CONTEXT, '@id': `${c.base}/api/v1/catalog`, '@type': 'dcat:Catalog',
    'dct:title': en('City Hub open data of Thessaloniki'),
    'dct:description': en('Readings of the city\'s road links, Wi-Fi hotspots and buildings, and the catalogue of these assets, as exports and through NGSI-LD.'),
    'dct:modified': date(c.now), 'foaf:homepage': page(`${c.base}/`), 'dct:license': licence(c),
    'dct:language': { '@id': `${EU}language/ENG`, '@type': 'dct:LinguisticSystem' },
    'dcat:themeTaxonomy': { '@id': `${EU}data-theme`, '@type': 'skos:ConceptScheme', 'dct:title': en('Data theme') },
    'dct:publisher': shared['dct:publisher'], 'dct:spatial': shared['dct:spatial'], 'dcat:contactPoint': shared['dcat:contactPoint'],
    'dcat:dataset': [...kinds, assets], 'dcat:service': service,
  };
}

/** The [west, south, east, north] of every position in a GeoJSON object. */
export function bboxOf(geojson: unknown): [number, number, number, number] {
  const b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (v: unknown): void => {
    if (!Array.isArray(v)) {
      if (v && typeof v === 'object') Object.values(v).forEach(walk);
      return;
    }
    if (v.length >= 2 && typeof v[0] === 'number' && typeof v[1] === 'number') {
      [b[0], b[1], b[2], b[3]] = [Math.min(b[0], v[0]), Math.min(b[1], v[1]), Math.max(b[2], v[0]), Math.max(b[3], v[1])];
    } else v.forEach(walk);
  };
  walk(geojson);
  return b;
}
