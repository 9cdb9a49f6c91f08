import 'maplibre-gl/dist/maplibre-gl.css';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { showError } from './chrome.js';
import { start } from './start.js';

/** When this module started running (the bundle is fetched and parsed by then): a mark of the first render's path. */
const SCRIPT_START = performance.now();

start(SCRIPT_START).catch((e: unknown) => {
  showError(`The dashboard could not start: ${(e as Error).message}`);
  console.error(e);
});
