import type { Keksdose } from "./keksdose_web.js";

export type { Keksdose };

/** A text for every language, or per language. */
export type Localized = string | { de?: string; en?: string };

/** A service (tool or provider) within a category. */
export interface Service {
  name?: string;
  provider: string;
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

/** The keksdose configuration; see the README for every field. */
export interface Config {
  tenant: string;
  language?: "de" | "en" | "auto";
  policy: { privacyUrl: string; imprintUrl: string };
  consent?: {
    cookieName?: string;
    expiresAfterDays?: number;
    domain?: string | null;
    respectGpc?: boolean;
    logEndpoint?: string | null;
    unknownCookies?: "block" | "allow";
    reloadOnWithdrawal?: boolean;
  };
  categories: Record<string, Category>;
  texts?: { de?: Record<string, string>; en?: Record<string, string> };
  googleConsentMode?: Record<string, string[]>;
  seal?: {
    keys: { kid: string; publicKey: string; status: "active" | "retired" }[];
    maxAttachmentBytes?: number;
  };
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
 * Loads the wasm module (once) and starts keksdose with `config`.
 * Rejects with an `Error` named `ConfigError` that lists every problem with its dotted path.
 */
export function init(config: Config | string): Promise<Keksdose>;
