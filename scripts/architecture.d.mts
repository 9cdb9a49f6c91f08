// Types of scripts/architecture.mjs, for the tests that exercise it.
export const MAX_FILE_LINES: number;
export const MAX_FUNCTION_LINES: number;
export interface Layer { rank: number; imports: string[] }
export const LAYERS: Record<string, Layer>;
export function workspaceOf(path: string, workspaces: string[]): string;
export function isTestPath(path: string): boolean;
export function layerViolation(path: string, from: string, to: string, layers?: Record<string, Layer>): string | null;
export function findCycles(graph: Map<string, Set<string>>): string[][];
export function checkRepo(rootDir: string, files: string[], workspaces: string[], layers?: Record<string, Layer>): string[];
