/** Typed Gantry client for Node and browsers */
export {};
