import { readFileSync } from 'node:fs';
import { ConfigError } from '@cityhub/contracts';

/**
 * A secret given as a variable, or as a file that holds it (`<name>_FILE`: a Docker secret; read once at
 * start, surrounding white space ignored); a ConfigError when the file cannot be read or is empty.
 */
export function secretOrFile(name: string, value: string | undefined, file: string | undefined): string | undefined {
  if (value || !file) return value;
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError([`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  if (!secret) throw new ConfigError([`${name}_FILE: ${file} is empty`]);
  return secret;
}
