/**
 * API environment without rate limits: test stacks and API processes start with it, so suites may
 * submit freely; a test of the limits sets its own values (apiEnv / env).
 */
export const NO_RATE_LIMITS = {
  GANTRY_RATE_LIMIT_PER_MINUTE: '0',
  GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE: '0',
  GANTRY_IP_RATE_LIMIT_PER_MINUTE: '0',
  GANTRY_WS_UPGRADES_PER_MINUTE: '0',
};
