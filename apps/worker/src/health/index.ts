export { RegistryFleet, type DriverFactory } from './registry-fleet.js';
export { startFleetServices, type FleetServices, type FleetServicesInput } from './fleet-services.js';
