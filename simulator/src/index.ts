/**
 * The simulated Thessaloniki fleet: every device a real MQTT client with its own credentials (provisioned in the
 * device registry of @cityhub/devices), its traffic, Wi-Fi and energy models in the city's time zone, backfilled
 * history, network outages, and the `cityhub devices simulate` command.
 */
export { startSimulation, type Simulation, type SimulationOptions, type SimulationStats } from './simulation.js';
export { runBackfill, backfillReadings, backfillStart, type BackfillOptions, type BackfillReport, type BackfillMember } from './backfill.js';
export { createFleetModels, type FleetModels, type FleetModelOptions } from './fleet-models.js';
export { createOutages, type OutageOptions, type Outage } from './outages.js';
export { makeReading, type SimReading } from './make-reading.js';
export { createIncidentModel, incidentShape, MAX_INCIDENT_CUT, type Incident, type IncidentModel, type IncidentOptions } from './models/incidents.js';
export { simDeviceId } from './provision.js';
export { selectAssets } from './select-assets.js';
export { simStatePath } from './sim-state.js';
export { trafficAt, linkParams, congestion, type TrafficMetrics } from './models/traffic.js';
export { wifiAt, wifiEventAt, wifiEventOn, eventCrowd, type WifiMetrics, type WifiEvent, type WifiOptions } from './models/wifi.js';
export { powerAt, energyBetween, energyAt, buildingParams, meterBaselineKwh, type EnergyMetrics } from './models/energy.js';
export { localTime, dayWindow, dayType, hm, type LocalTime, type DayType } from './models/day.js';
export { simulateCommand, SIMULATE_HELP, type SimulateEnv } from './simulate-cli.js';
