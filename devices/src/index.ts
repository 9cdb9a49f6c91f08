/**
 * Field devices of the hub: the device registry (shared by the broker, ingest, the API and the CLI: a JSON
 * file, or Redis for several nodes, kept in @cityhub/state's shared documents), the API tokens, the simulated
 * Thessaloniki fleet, and the `cityhub devices` and `cityhub tokens` commands.
 */
export { DeviceError, DEVICE_ERRORS, isDeviceError, type DeviceErrorCode } from './errors.js';
export { FileRegistry, DeviceRegistryStore, openRegistry, type AddDeviceInput, type RegistryOptions } from './registry/file-registry.js';
export { generateDeviceId, isValidDeviceId, KIND_PREFIX } from './registry/ids.js';
export { generateSecret, hashSecret, verifySecret, SCRYPT_PARAMS, type ScryptParams } from './registry/secret.js';
export { startSimulation, type Simulation, type SimulationOptions, type SimulationStats } from './sim/simulation.js';
export { runBackfill, backfillReadings, backfillStart, type BackfillOptions, type BackfillReport, type BackfillMember } from './sim/backfill.js';
export { createFleetModels, type FleetModels, type FleetModelOptions } from './sim/fleet-models.js';
export { createOutages, type OutageOptions, type Outage } from './sim/outages.js';
export { makeReading, type SimReading } from './sim/make-reading.js';
export { createIncidentModel, incidentShape, MAX_INCIDENT_CUT, type Incident, type IncidentModel, type IncidentOptions } from './sim/models/incidents.js';
export { simDeviceId } from './sim/provision.js';
export { selectAssets } from './sim/select-assets.js';
export { simStatePath } from './sim/sim-state.js';
export type { SimLogger } from './sim/sim-device.js';
export { trafficAt, linkParams, congestion, type TrafficMetrics } from './sim/models/traffic.js';
export { wifiAt, wifiEventAt, wifiEventOn, eventCrowd, type WifiMetrics, type WifiEvent, type WifiOptions } from './sim/models/wifi.js';
export { powerAt, energyBetween, energyAt, buildingParams, meterBaselineKwh, type EnergyMetrics } from './sim/models/energy.js';
export { athensTime, athensInstant, athensDay, athensMidnight } from './sim/models/local-time.js';
export { devicesCommand, type CliOutput } from './cli.js';
export { simulateCommand, SIMULATE_HELP, type SimulateEnv } from './simulate-cli.js';
export { TokenStore, type TokenStoreOptions } from './tokens/token-store.js';
export { tokensCommand, type TokensEnv } from './tokens/cli.js';
