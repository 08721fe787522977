/** The Node.js flags the API process runs with (apps/api/node-flags, or GANTRY_API_NODE_FLAGS in their place). */
export function apiNodeFlags(root?: string, env?: NodeJS.ProcessEnv): string[];
