import { ATTRIBUTION } from '@cityhub/contracts';
import { byId } from '../ui/dom.js';

/** A map shorter than this gets the layer box folded (and frames the municipality, not the whole network). */
export const SHORT_MAP_PX = 460;

/** Shows a problem over the map. */
export function showError(message: string): void {
  const box = byId('error', HTMLDivElement);
  box.textContent = message;
  box.hidden = false;
}

/** The layer box's fold: open or closed by the user, or closed for them while the map is short. */
export interface ControlsFold { fitTo(mapHeight: number): void }

/** Attribution, the "About the data" dialog, and the layer box's fold button. */
export function setUpChrome(): ControlsFold {
  byId('attribution', HTMLElement).textContent = ATTRIBUTION;
  const about = byId('about', HTMLDialogElement);
  byId('about-open', HTMLButtonElement).addEventListener('click', () => about.showModal());
  byId('about-attribution', HTMLElement).textContent = ATTRIBUTION;
  const toggle = byId('controls-toggle', HTMLButtonElement);
  const body = byId('controls-body', HTMLDivElement);
  const fold = (open: boolean) => {
    toggle.setAttribute('aria-expanded', String(open));
    body.hidden = !open;
  };
  // On a narrow screen the layer box starts folded, so it does not cover the city.
  let wanted = !window.matchMedia('(max-width: 900px)').matches;
  fold(wanted);
  toggle.addEventListener('click', () => {
    wanted = body.hidden === true;
    fold(wanted);
  });
  // Over a short map (a drawer open below it) the open box would hide most of the city: fold it meanwhile.
  return { fitTo: (h) => fold(wanted && h >= SHORT_MAP_PX) };
}
