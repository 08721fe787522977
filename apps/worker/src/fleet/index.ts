export { WorkerFleet, type DriverFactory, type FleetMember, type WorkerFleetOptions } from './worker-fleet.js';
export { startFleetServices, type FleetServices, type FleetServicesInput } from './fleet-services.js';
