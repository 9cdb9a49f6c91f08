/** Europe/Athens wall time for the models' tests, which pin Thessaloniki's days (the default zone). */
import { cityClock } from '@cityhub/contracts';
import { localTime, type LocalTime } from '../../src/models/day.js';

const ATHENS = cityClock('Europe/Athens');

/** The instant Athens clocks read the given wall time (month 1–12). */
export const athensInstant = (y: number, mo: number, d: number, h: number, mi = 0): number => ATHENS.fromLocal(y, mo, d, h, mi);
/** The Athens local time of an instant. */
export const athensTime = (t: number): LocalTime => localTime(ATHENS, t);
/** The Athens local day of an instant, as days since 1970-01-01. */
export const athensDay = (t: number): number => ATHENS.dayNumber(t);
