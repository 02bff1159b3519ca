import type { Keksdose } from "./keksdose_web.js";

export type { Keksdose };

/** A text for every language, or per language tag (every language the banner is offered in). */
export type Localized = string | Record<string, string>;

/** A service (tool or provider) within a category. */
export interface Service {
  name?: Localized;
  provider: Localized;
  purpose: Localized;
  cookies?: string[];
  storage?: string[];
  hosts?: string[];
  retention?: Localized;
  recipients?: Localized;
  privacyUrl?: string;
  embed?: boolean;
}

/** A purpose the visitor allows or refuses as a whole. */
export interface Category {
  readOnly?: boolean;
  title?: Localized;
  description?: Localized;
  services?: Record<string, Service>;
}

/** A colour as `#rgb` or `#rrggbb`. */
export type HexColour = `#${string}`;

/** The colours of one scheme in `banner.theme`; each one left out keeps keksdose.css's. */
export interface ThemeColours {
  background?: HexColour;
  text?: HexColour;
  muted?: HexColour;
  line?: HexColour;
  link?: HexColour;
  button?: HexColour;
  buttonText?: HexColour;
  focus?: HexColour;
}

/** The keksdose configuration; see the README for every field. */
export interface Config {
  tenant: string;
  /** `"auto"`, or a language tag of 2–3 lower-case letters (ISO 639); default `"de"`. */
  language?: string;
  policy: { privacyUrl: string; imprintUrl: string };
  banner?: {
    layout?: "box" | "bar" | "cloud";
    position?: "bottom" | "top" | "bottom-left" | "bottom-right";
    colorScheme?: "auto" | "light" | "dark";
    /** Colours per scheme, each optional; checked for WCAG 2.1 AA contrast (see the README). */
    theme?: { light?: ThemeColours; dark?: ThemeColours };
  };
  consent?: {
    cookieName?: string;
    expiresAfterDays?: number;
    refusalExpiresAfterDays?: number;
    domain?: string | null;
    respectGpc?: boolean;
    logEndpoint?: string | null;
    unknownCookies?: "block" | "allow";
    reloadOnWithdrawal?: boolean;
  };
  categories: Record<string, Category>;
  /** Per language tag: for `de` and `en` overrides of the shipped texts, else every text. */
  texts?: Record<string, Record<string, string>>;
  googleConsentMode?: GoogleConsentMode;
  seal?: {
    keys: { kid: string; publicKey: string; status: "active" | "retired" }[];
    maxAttachmentBytes?: number;
  };
}

/** A Google Consent Mode v2 consent type. */
export type GoogleConsentType =
  | "ad_storage"
  | "ad_user_data"
  | "ad_personalization"
  | "analytics_storage"
  | "functionality_storage"
  | "personalization_storage"
  | "security_storage";

/** Which categories grant which consent type, and Google's options. */
export type GoogleConsentMode = { [type in GoogleConsentType]?: string[] } & {
  region?: string[];
  ads_data_redaction?: boolean;
  url_passthrough?: boolean;
};

/** A consent record as sent to `consent.logEndpoint` (docs/consent-record.schema.json). */
export interface ConsentRecord {
  recordId: string;
  consentId: string;
  tenant: string;
  /** UTC, RFC 3339. */
  timestamp: string;
  revision: string;
  configHash: string;
  language: string;
  method: "accept-all" | "reject-all" | "custom" | "gpc" | "reset";
  withdrawal: boolean;
  categories: Record<string, "given" | "refused">;
  services: Record<string, "given" | "refused">;
  /** UTC, RFC 3339. */
  expiresAt: string;
}

/** The snapshot in `getConsent()` and in the `keksdose:consent` / `keksdose:change` events. */
export interface ConsentSnapshot {
  consentId: string;
  revision: string;
  /** Milliseconds since the epoch. */
  decidedAt: number;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  categories: string[];
  services: string[];
}

/** The detail of `keksdose:change`. */
export interface ChangeDetail extends ConsentSnapshot {
  method: "accept-all" | "reject-all" | "custom";
  changedCategories: string[];
  changedServices: string[];
  withdrawal: boolean;
}

declare global {
  interface WindowEventMap {
    "keksdose:consent": CustomEvent<ConsentSnapshot>;
    "keksdose:change": CustomEvent<ChangeDetail>;
    "keksdose:show": CustomEvent<{ view: "banner" | "preferences" }>;
    "keksdose:hide": CustomEvent<{ view: "banner" | "preferences" }>;
  }
  interface Window {
    /** Set by the script-tag entry `keksdose.js`. */
    keksdose?: Keksdose;
  }
}

/**
 * What `init` rejects with when the config is broken: an `Error` whose `name` is `ConfigError`
 * and whose message lists every problem with its dotted path, one per line. A type, not a class:
 * keksdose throws plain `Error` objects, so tell them apart by `name`.
 */
export interface ConfigError extends Error {
  name: "ConfigError";
}

/**
 * What the instance's methods throw for a name the config does not have (in every method that
 * takes one), an argument of the wrong type, or a call on an instance that is not running: an
 * `Error` whose `name` is `ConsentError`. A type, not a class, like {@link ConfigError}.
 */
export interface ConsentError extends Error {
  name: "ConsentError";
}

/**
 * Loads the wasm module (once) and starts keksdose with `config` (an object or JSON text).
 * Rejects with a {@link ConfigError} that lists every problem with its dotted path; with a plain
 * `Error` when the module cannot start, for example because the script tag `keksdose.js`
 * already runs on the page. Either way only technically necessary cookies and scripts run.
 */
export function init(config: Config | string): Promise<Keksdose>;
