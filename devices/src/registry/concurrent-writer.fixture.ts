// Run as a child process by file-registry.test.ts: adds devices one by one to the registry of a data
// directory, racing another process doing the same, then prints the ids it created as JSON.
import { assetsOfKind } from '@cityhub/contracts/catalogue';
import { openRegistry } from './file-registry.js';

const [dataDir, countArg] = process.argv.slice(2);
const reg = await openRegistry(dataDir!);
const links = assetsOfKind('traffic');
const ids: string[] = [];
for (let i = 0; i < Number(countArg); i++) {
  const d = await reg.add({ kind: 'traffic', asset: links[i % links.length]!.id });
  ids.push(d.id);
}
await reg.close();
process.stdout.write(JSON.stringify(ids));
