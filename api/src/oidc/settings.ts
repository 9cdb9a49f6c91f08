/** OpenID Connect sign-in as configured (`CITYHUB_OIDC_*`). */
export interface OidcSettings {
  /** The provider's issuer URL; its metadata is discovered at `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** None: a public client (PKCE alone). */
  clientSecret?: string;
  /** Where the provider sends people back; default the address the sign-in request came to. */
  redirectUrl?: string;
  /** Space-separated scopes; `openid` is added when missing. */
  scopes: string;
  /** The claim with a person's groups or roles (a dotted path reaches into an object: `realm_access.roles`). */
  roleClaim: string;
  adminValues: readonly string[];
  operatorValues: readonly string[];
  /** The role of everyone else, or `none` to refuse them. */
  defaultRole: 'viewer' | 'none';
  /** The provider's name on the dashboard's button. */
  name: string;
  /** Delays between discovery attempts after a failure: the first, doubled each time up to the longest (ms). */
  retry?: { firstMs: number; maxMs: number };
}
