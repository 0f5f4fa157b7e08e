/** The bounds of an issuer template when it sets none. */
export const DEFAULT_TEMPLATE_BOUNDS = { maxIssuers: 1_000, newIssuersPerSecond: 10 } as const;
