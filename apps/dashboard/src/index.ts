/** The web dashboard served by the API at /dashboard */
export {};
