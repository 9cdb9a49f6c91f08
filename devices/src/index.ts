/**
 * Who may connect to the hub: the device registry (shared by the broker, ingest, the API and the CLI: a JSON
 * file, or Redis for several nodes, kept in @cityhub/state's shared documents), the API tokens, and the
 * `cityhub devices` and `cityhub tokens` commands. The simulated fleet is `@cityhub/simulator`.
 */
export { DeviceError, DEVICE_ERRORS, isDeviceError, type DeviceErrorCode } from './errors.js';
export { FileRegistry, DeviceRegistryStore, openRegistry, type AddDeviceInput, type RegistryOptions } from './registry/file-registry.js';
export { generateDeviceId, isValidDeviceId, KIND_PREFIX } from './registry/ids.js';
export { generateSecret, hashSecret, verifySecret, SCRYPT_PARAMS, type ScryptParams } from './registry/secret.js';
export { devicesCommand, type CliOutput, type DevicesEnv } from './cli.js';
export { mapLimit } from './util/map-limit.js';
export { TokenStore, type TokenStoreOptions } from './tokens/token-store.js';
export { tokensCommand, type TokensEnv } from './tokens/cli.js';
export { People, type ExternalSignIn, type PersonSession, type SignInResult } from './people/people.js';
export { UserStore, MIN_PASSWORD_LENGTH, type UserView } from './people/users.js';
export { LOCKOUT, type SessionTimes } from './people/sessions.js';
export { AUDIT_MAX_ENTRIES } from './people/audit.js';
export { usersCommand, USERS_HELP, type UsersEnv } from './people/cli.js';
