// The simulator's state file is written with the shared state's atomic write; it lives in @cityhub/state.
export { writeFileAtomic } from '@cityhub/state';
