//! The session rules: what follows from the stored cookie, the browser's signals and each
//! decision, as data.
//!
//! A [`Session`] takes the `Cookie` header, the time, randomness and the GPC signal and returns
//! [`Effects`] — cookies to write, a record to send, the event to fire, whether to ask — which
//! the web layer carries out. Every rule is here and tested natively:
//! - a stored decision counts while [`Consent::is_current`]: a consent until it expires or the
//!   revision changes; a refusal of everything until it expires, also across wording changes,
//!   but not when new purposes or services are asked for;
//! - with `consent.respectGpc`, a browser sending Global Privacy Control and without a decision
//!   gets "reject all", recorded with method `gpc`, and no banner;
//! - every decision writes the consent cookie, produces a [`Record`], an event and a Consent Mode
//!   update; refusing something given before is a withdrawal;
//! - a reset erases the cookie and keksdose's storage and sends a record of it.

use super::policy::{cookie_deletions, unknown_category};
use super::record::{self, Context, Record};
use super::{Choice, Consent, Method, consent_id, cookie, revision};
use crate::base64;
use crate::config::Config;
use crate::strings::{concat, decimal};

/// Where the page runs: what the consent cookie's attributes depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The page's host name.
    pub host: String,
    /// Whether the page was loaded over HTTPS (the cookie gets `Secure`).
    pub secure: bool,
}

/// What a page knows at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit<'a> {
    /// Where the page runs.
    pub site: Site,
    /// `document.cookie` (or a request's `Cookie` header).
    pub cookie_header: &'a str,
    /// `navigator.globalPrivacyControl === true`.
    pub gpc: bool,
    /// [`super::config_hash`] of the config text.
    pub config_hash: String,
    /// The tag of the language shown (`de`, `en`, …).
    pub language: String,
}

/// The visitor's session with keksdose on one page.
#[derive(Debug, Clone)]
pub struct Session {
    site: Site,
    revision: String,
    config_hash: String,
    language: String,
    /// The decision in force.
    consent: Option<Consent>,
    /// The browser's consent id, kept across re-prompts until reset.
    consent_id: Option<String>,
}

/// What the web layer carries out, in this order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// `document.cookie` assignments.
    pub cookies: Vec<String>,
    /// Erase keksdose's storage on this device (the visitor's records and the unsent ones).
    pub erase: bool,
    /// A record to send to `consent.logEndpoint` and keep on the device.
    pub record: Option<Record>,
    /// Push a Google Consent Mode `update` with the decision now in force.
    pub consent_mode: bool,
    /// The event to fire, describing the decision now in force.
    pub event: Option<Event>,
    /// Reload the page (a withdrawal with `consent.reloadOnWithdrawal`).
    pub reload: bool,
    /// Show the first layer.
    pub prompt: bool,
}

/// The event a decision fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A first decision (`keksdose:consent`).
    Consent,
    /// A change of a decision in force (`keksdose:change`).
    Change {
        /// The control used.
        method: Method,
        /// Categories now allowed or refused that were not before.
        categories: Vec<String>,
        /// Services likewise.
        services: Vec<String>,
        /// Whether something given is now refused.
        withdrawal: bool,
    },
}

impl Session {
    /// The session of `visit` at `now`; `random` makes the ids of a GPC decision.
    pub fn start(
        config: &Config,
        visit: Visit<'_>,
        now: u64,
        random: [u8; 32],
    ) -> (Session, Effects) {
        let revision = revision(config);
        let stored = cookie::read(visit.cookie_header, &config.consent.cookie_name);
        let mut session = Session {
            site: visit.site,
            consent_id: stored.as_ref().map(|c| c.consent_id.clone()),
            consent: stored.filter(|c| c.is_current(&revision, now)),
            revision,
            config_hash: visit.config_hash,
            language: visit.language,
        };
        let mut effects = Effects::default();
        if session.consent.is_none() && config.needs_decision() {
            if config.consent.respect_gpc && visit.gpc {
                effects = session.decide(config, Choice::none(), Method::Gpc, now, random);
                // The page announces the decision in force once its own scripts can listen.
                effects.event = None;
            } else {
                effects.prompt = true;
            }
        }
        (session, effects)
    }

    /// The decision in force.
    pub fn consent(&self) -> Option<&Consent> {
        self.consent.as_ref()
    }

    /// The browser's consent id: of the decision in force, or kept from an earlier one.
    pub fn consent_id(&self) -> Option<&str> {
        self.consent_id.as_deref()
    }

    /// The config revision.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// Stores `choice`, made with `method`, at `now`; `random` makes the consent id (when the
    /// browser has none) and the record id.
    pub fn decide(
        &mut self,
        config: &Config,
        choice: Choice,
        method: Method,
        now: u64,
        random: [u8; 32],
    ) -> Effects {
        let (id_bytes, record_bytes) = split(random);
        let id = self
            .consent_id
            .get_or_insert_with(|| consent_id(id_bytes))
            .clone();
        let consent = Consent::new(config, self.revision.clone(), id, now, choice);
        let cookies = self.cookie_writes(config, &cookie::encode(&consent), consent.max_age(now));
        let previous = self.consent.replace(consent.clone());
        let withdrawal = previous
            .as_ref()
            .is_some_and(|previous| consent.choice.withdraws_from(&previous.choice));
        let event = match &previous {
            None => Event::Consent,
            Some(previous) => {
                let (old, new) = (&previous.choice, &consent.choice);
                Event::Change {
                    method,
                    categories: changed(old.categories(), new.categories()),
                    services: changed(old.services(), new.services()),
                    withdrawal,
                }
            }
        };
        let record = Record::new(
            &self.context(config),
            &consent,
            method,
            withdrawal,
            base64::url(&record_bytes),
        );
        Effects {
            cookies,
            record: Some(record),
            consent_mode: true,
            event: Some(event),
            reload: withdrawal && config.consent.reload_on_withdrawal,
            ..Effects::default()
        }
    }

    /// Erases the stored decision, the consent id and keksdose's storage, and asks again; a
    /// decision in force gets a last record (method `reset`).
    pub fn reset(&mut self, config: &Config, now: u64, random: [u8; 32]) -> Effects {
        let record = self.consent.take().map(|consent| {
            record::reset(
                &self.context(config),
                &consent,
                now,
                base64::url(&split(random).1),
            )
        });
        self.consent_id = None;
        Effects {
            cookies: self.cookie_writes(config, "", 0),
            erase: true,
            record,
            consent_mode: true,
            prompt: config.needs_decision(),
            ..Effects::default()
        }
    }

    /// The choice of the API's `acceptCategory`: `None` or a list with `"all"` allows
    /// everything, a list of category names exactly those (with all their services).
    pub fn categories_choice(config: &Config, names: Option<&[String]>) -> Result<Choice, String> {
        let Some(names) = names.filter(|names| !names.iter().any(|n| n == "all")) else {
            return Ok(Choice::all(config));
        };
        if let Some(unknown) = names.iter().find(|n| config.category(n).is_none()) {
            return Err(unknown_category(unknown));
        }
        Ok(Choice::from_names(
            config,
            names.iter().map(String::as_str),
            [],
        ))
    }

    /// The choice of the API's `acceptService`: exactly `names` (or `"all"`) of the services of
    /// `category`, the other categories as they are.
    pub fn services_choice(
        &self,
        config: &Config,
        category: &str,
        names: &[String],
    ) -> Result<Choice, String> {
        let own = config
            .category(category)
            .ok_or_else(|| unknown_category(category))?;
        let all = names.iter().any(|n| n == "all");
        if let Some(unknown) = names
            .iter()
            .find(|n| *n != "all" && own.services.get(n).is_none())
        {
            return Err(concat(&[
                "no service `",
                unknown,
                "` in category `",
                category,
                "`",
            ]));
        }
        Ok(own.services.iter().fold(self.choice(), |choice, (key, _)| {
            choice.with_service(config, key, all || names.iter().any(|n| n == key))
        }))
    }

    /// The current choice with one more service, or a whole category when `service` is `None`:
    /// an embed placeholder's "Always allow".
    pub fn allowing(&self, config: &Config, category: &str, service: Option<&str>) -> Choice {
        let current = self.choice();
        match service {
            Some(service) => current.with_service(config, service, true),
            None => current.with_category(config, category, true),
        }
    }

    /// What the decision in force allows (nothing without one).
    fn choice(&self) -> Choice {
        self.consent
            .as_ref()
            .map(|c| c.choice.clone())
            .unwrap_or_default()
    }

    fn context<'a>(&'a self, config: &'a Config) -> Context<'a> {
        Context {
            config,
            revision: &self.revision,
            config_hash: &self.config_hash,
            language: &self.language,
        }
    }

    /// The assignments that set the consent cookie to `value` for `max_age` seconds: first the
    /// deletions of its other variants (host-only or with another `Domain`, left by an earlier
    /// `consent.domain`), so that no older decision stands beside it. Deletions for domains the
    /// page cannot reach are ignored by the browser.
    fn cookie_writes(&self, config: &Config, value: &str, max_age: u64) -> Vec<String> {
        let settings = &config.consent;
        let mut writes = cookie_deletions(&settings.cookie_name, &self.site.host, "/", None);
        let mut header = concat(&[
            &settings.cookie_name,
            "=",
            value,
            "; Path=/; Max-Age=",
            &decimal(max_age),
            "; SameSite=Lax",
        ]);
        if let Some(domain) = &settings.domain {
            header.push_str("; Domain=");
            header.push_str(domain);
        }
        if self.site.secure {
            header.push_str("; Secure");
        }
        writes.push(header);
        writes
    }
}

fn split(random: [u8; 32]) -> ([u8; 16], [u8; 16]) {
    let mut first = [0; 16];
    let mut second = [0; 16];
    first.copy_from_slice(&random[..16]);
    second.copy_from_slice(&random[16..]);
    (first, second)
}

/// Names in exactly one of the two lists.
fn changed(old: &[String], new: &[String]) -> Vec<String> {
    let mut changed = Vec::new();
    for (from, other) in [(old, new), (new, old)] {
        for name in from {
            if !other.contains(name) {
                changed.push(name.clone());
            }
        }
    }
    changed
}
