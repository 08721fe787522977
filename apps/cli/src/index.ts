/** The gantry command-line client */
export {};
