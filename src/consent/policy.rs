//! Pure decisions: may this category, service or marked element run under the current consent?

use super::Consent;
use crate::config::{Config, Service, UnknownPolicy};
use crate::pattern::{glob_matches, host_matches};
use crate::strings::{concat, join};

/// What a marked element's `data-category` / `data-service` attributes ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate<'a> {
    /// The category named by `data-category`, without a leading `!`.
    pub category: &'a str,
    /// `data-category="!analytics"`: runs when the category is refused, after a decision.
    pub negated: bool,
    /// The service named by `data-service`, if any.
    pub service: Option<&'a str>,
}

impl<'a> Gate<'a> {
    /// Reads the attribute values of a marked element.
    pub fn parse(category: &'a str, service: Option<&'a str>) -> Gate<'a> {
        let category = category.trim();
        let (category, negated) = match category.strip_prefix('!') {
            Some(rest) => (rest.trim(), true),
            None => (category, false),
        };
        Gate {
            category,
            negated,
            service: service.map(str::trim).filter(|s| !s.is_empty()),
        }
    }
}

/// The consent that applies on this page: the config plus the current decision, if any.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    config: &'a Config,
    consent: Option<&'a Consent>,
}

/// The names a service declares of one kind: its `cookies` or its `storage` globs.
type Globs = fn(&Service) -> &[String];

impl<'a> Policy<'a> {
    /// The policy for `config` with the visitor's current, valid decision (`None` before one).
    pub fn new(config: &'a Config, consent: Option<&'a Consent>) -> Policy<'a> {
        Policy { config, consent }
    }

    /// Whether the visitor has made a decision that is still current.
    pub fn decided(&self) -> bool {
        self.consent.is_some()
    }

    /// Whether the category `name` may run: necessary categories always, others when allowed.
    /// Unknown categories never.
    pub fn category_allowed(&self, name: &str) -> bool {
        match self.config.category(name) {
            Some(category) if category.read_only => true,
            Some(_) => self.consent.is_some_and(|c| c.choice.has_category(name)),
            None => false,
        }
    }

    /// Whether the service `key` may run: services of necessary categories always, others when
    /// allowed. Unknown services never.
    pub fn service_allowed(&self, key: &str) -> bool {
        self.config
            .service(key)
            .is_some_and(|(category, _)| self.allowed_in(category, key))
    }

    /// For the API's `acceptedCategory`, where an unknown name is a mistake (as in
    /// `acceptCategory`), not a "no": [`category_allowed`](Self::category_allowed), or `None`
    /// for a name the config does not have.
    pub fn known_category_allowed(&self, name: &str) -> Option<bool> {
        self.config
            .category(name)
            .map(|_| self.category_allowed(name))
    }

    /// For the API's `acceptedService`: [`service_allowed`](Self::service_allowed), or `None`
    /// for a name the config does not have.
    pub fn known_service_allowed(&self, key: &str) -> Option<bool> {
        self.config
            .service(key)
            .map(|(category, _)| self.allowed_in(category, key))
    }

    /// Whether the service `key` of `category` may run (service keys are unique).
    fn allowed_in(&self, category: &str, key: &str) -> bool {
        self.category_is_necessary(category)
            || self.consent.is_some_and(|c| c.choice.has_service(key))
    }

    /// Whether a marked element may run now. `!category` runs only after a decision that
    /// refuses it; unknown names never run either way.
    pub fn gate_open(&self, gate: &Gate<'_>) -> bool {
        if !self.names_known(gate) {
            return false;
        }
        let allowed = match gate.service {
            Some(service) => self.service_allowed(service),
            None => self.category_allowed(gate.category),
        };
        if gate.negated {
            self.decided() && !allowed
        } else {
            allowed
        }
    }

    /// Whether the category and service a gate names exist in the config.
    pub fn names_known(&self, gate: &Gate<'_>) -> bool {
        self.config.category(gate.category).is_some()
            && gate
                .service
                .is_none_or(|service| self.config.service(service).is_some())
    }

    /// Whether a script may write the cookie `name`: the consent cookie always; a declared name
    /// when every service declaring it may run (most restrictive); an undeclared one per
    /// `consent.unknownCookies`.
    pub fn cookie_write_allowed(&self, name: &str) -> bool {
        name == self.config.consent.cookie_name || self.declared_allowed(cookie_globs, name)
    }

    /// Whether a script may write the localStorage / sessionStorage key `key`: keksdose's own
    /// keys always; others by the same rules as cookies, with the services' `storage` globs.
    pub fn storage_write_allowed(&self, key: &str) -> bool {
        self.config.consent.is_own_storage_key(key) || self.declared_allowed(storage_globs, key)
    }

    /// Whether a resource from `host` (lower-case, without port) may load: hosts no service
    /// lists load freely; a listed host when every service listing it may run.
    pub fn host_allowed(&self, host: &str) -> bool {
        self.refused_service_for_host(host).is_none()
    }

    /// The first refused service that lists `host`: where a blocked element is attributed, so
    /// that it is activated once that service is allowed. `(category, service)`.
    pub fn refused_service_for_host(&self, host: &str) -> Option<(&'a str, &'a str)> {
        for (category, key, service) in self.config.services() {
            if service.hosts.iter().any(|p| host_matches(p, host))
                && !self.allowed_in(category, key)
            {
                return Some((category, key));
            }
        }
        None
    }

    /// The services that may not run now, `(key, service)`: their cookies and storage are
    /// cleared.
    pub fn refused_services(&self) -> Vec<(&'a str, &'a Service)> {
        let mut refused = Vec::new();
        for (category, key, service) in self.config.services() {
            if !self.allowed_in(category, key) {
                refused.push((key, service));
            }
        }
        refused
    }

    /// The first service that declares the cookie `name` (for messages).
    pub fn cookie_declared_by(&self, name: &str) -> Option<&'a str> {
        self.declaring(cookie_globs, name)
            .first()
            .map(|(_, key)| *key)
    }

    /// The first service that declares the storage key `key` (for messages).
    pub fn storage_declared_by(&self, key: &str) -> Option<&'a str> {
        self.declaring(storage_globs, key)
            .first()
            .map(|(_, key)| *key)
    }

    /// The services, `(category, key)`, whose `globs` match `name`.
    fn declaring(&self, globs: Globs, name: &str) -> Vec<(&'a str, &'a str)> {
        let mut found = Vec::new();
        for (category, key, service) in self.config.services() {
            if globs(service).iter().any(|g| glob_matches(g, name)) {
                found.push((category, key));
            }
        }
        found
    }

    fn declared_allowed(&self, globs: Globs, name: &str) -> bool {
        let declaring = self.declaring(globs, name);
        if declaring.is_empty() {
            return self.config.consent.unknown_cookies == UnknownPolicy::Allow;
        }
        declaring
            .iter()
            .all(|(category, key)| self.allowed_in(category, key))
    }

    fn category_is_necessary(&self, name: &str) -> bool {
        self.config.category(name).is_some_and(|c| c.read_only)
    }
}

fn cookie_globs(service: &Service) -> &[String] {
    &service.cookies
}

fn storage_globs(service: &Service) -> &[String] {
    &service.storage
}

/// A `document.cookie = "…"` assignment as the browser reads it (RFC 6265 §5.2): the name and
/// the attributes that decide whether, and which, cookie it removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieAssignment<'a> {
    /// The cookie name as the browser parses it: trimmed text before the first `=` (empty when
    /// there is none).
    pub name: &'a str,
    /// `Max-Age`, when given and numeric (the last valid one).
    pub max_age: Option<i64>,
    /// `Expires`, when given.
    pub expires: Option<&'a str>,
    /// `Path`, when given.
    pub path: Option<&'a str>,
    /// `Domain`, when given.
    pub domain: Option<&'a str>,
    /// `Secure` / `Partitioned` given: a deletion must repeat them to reach the cookie.
    pub secure: bool,
    /// See `secure`.
    pub partitioned: bool,
}

impl<'a> CookieAssignment<'a> {
    /// Parses the string assigned to `document.cookie`.
    pub fn parse(text: &'a str) -> CookieAssignment<'a> {
        let mut parts = text.split(';');
        let pair = parts.next().unwrap_or("");
        let name = pair.split_once('=').map_or("", |(name, _)| name.trim());
        let mut assignment = CookieAssignment {
            name,
            max_age: None,
            expires: None,
            path: None,
            domain: None,
            secure: false,
            partitioned: false,
        };
        for attribute in parts {
            let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            match key.as_str() {
                // An invalid Max-Age is ignored, not a reset of an earlier valid one.
                "max-age" => assignment.max_age = value.parse().ok().or(assignment.max_age),
                "expires" => assignment.expires = Some(value),
                "path" => assignment.path = Some(value),
                "domain" => assignment.domain = Some(value),
                "secure" => assignment.secure = true,
                "partitioned" => assignment.partitioned = true,
                _ => {}
            }
        }
        assignment
    }

    /// Whether the assignment removes the cookie; `expired` tells whether an `Expires` date
    /// lies in the past. `Max-Age` wins over `Expires`, as in browsers.
    pub fn deletes(&self, expired: impl FnOnce(&str) -> bool) -> bool {
        match self.max_age {
            Some(age) => age <= 0,
            None => self.expires.is_some_and(expired),
        }
    }

    /// A plain deletion of the same cookie (name, path, domain, `Secure`, `Partitioned`), to
    /// pass on instead of a page's own string when the name may not be written.
    pub fn deletion(&self) -> String {
        let mut text = concat(&[self.name, "=; Max-Age=0"]);
        for (attribute, value) in [("; Path=", self.path), ("; Domain=", self.domain)] {
            if let Some(value) = value {
                text.push_str(attribute);
                text.push_str(value);
            }
        }
        if self.secure {
            text.push_str("; Secure");
        }
        if self.partitioned {
            text.push_str("; Partitioned");
        }
        text
    }
}

/// The message for a category name the config does not have, the same in every API method.
pub fn unknown_category(name: &str) -> String {
    concat(&["unknown category `", name, "`"])
}

/// The message for a service name the config does not have.
pub fn unknown_service(name: &str) -> String {
    concat(&["unknown service `", name, "`"])
}

/// Every `document.cookie` assignment that deletes cookie `name` wherever a page at
/// `host` + `path` can reach it: each path prefix (with and without trailing slash), host-only
/// and with a `Domain` of the host, each parent domain, and the configured consent domain.
pub fn cookie_deletions(name: &str, host: &str, path: &str, domain: Option<&str>) -> Vec<String> {
    let mut paths = vec!["/".to_owned()];
    let mut prefix = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        prefix.push('/');
        prefix.push_str(segment);
        paths.push(prefix.clone());
        paths.push(concat(&[&prefix, "/"]));
    }
    let mut domains: Vec<Option<String>> = vec![None];
    let labels = crate::collect(host.split('.'));
    // An IP address has no parent domains (and no Domain attribute of its own).
    let ip = host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || host.contains(':');
    if !ip {
        for i in 0..labels.len() {
            domains.push(Some(join(&labels[i..], ".")));
        }
    }
    if let Some(domain) = domain {
        let domain = domain.trim_start_matches('.').to_owned();
        if !domains.contains(&Some(domain.clone())) {
            domains.push(Some(domain));
        }
    }
    let mut out = Vec::with_capacity(paths.len() * domains.len());
    for domain in &domains {
        for path in &paths {
            let mut header = concat(&[name, "=; Max-Age=0; Path=", path]);
            if let Some(domain) = domain {
                header.push_str("; Domain=");
                header.push_str(domain);
            }
            out.push(header);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{Choice, Consent, revision};

    fn config() -> Config {
        Config::from_json(
            r#"{
            "tenant": "t",
            "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
            "categories": {
                "necessary": { "readOnly": true, "services": {
                    "session": { "provider": "us", "purpose": "login" } } },
                "analytics": { "services": {
                    "matomo": { "provider": "P", "purpose": "stats" },
                    "plausible": { "provider": "Q", "purpose": "stats" } } },
                "media": { "services": {
                    "video": { "provider": "V", "purpose": "videos" } } }
            }}"#,
        )
        .expect("valid config")
    }

    fn decided(config: &Config, categories: &[&str], services: &[&str]) -> Consent {
        let choice =
            Choice::from_names(config, categories.iter().copied(), services.iter().copied());
        Consent::new(config, revision(config), "id".into(), 0, choice)
    }

    #[test]
    fn the_api_questions_tell_unknown_names_from_refused_ones() {
        let config = config();
        let analytics = decided(&config, &["analytics"], &[]);
        let policy = Policy::new(&config, Some(&analytics));
        let undecided = Policy::new(&config, None);
        assert_eq!(policy.known_category_allowed("analytics"), Some(true));
        assert_eq!(policy.known_category_allowed("media"), Some(false));
        assert_eq!(undecided.known_category_allowed("necessary"), Some(true));
        assert_eq!(policy.known_service_allowed("matomo"), Some(true));
        assert_eq!(policy.known_service_allowed("video"), Some(false));
        assert_eq!(undecided.known_service_allowed("session"), Some(true));
        assert_eq!(policy.known_category_allowed("analytcs"), None);
        assert_eq!(policy.known_service_allowed("matmo"), None);
        // A category name is not a service name, and the other way round.
        assert_eq!(policy.known_service_allowed("analytics"), None);
        assert_eq!(policy.known_category_allowed("matomo"), None);
        assert_eq!(unknown_category("analytcs"), "unknown category `analytcs`");
        assert_eq!(unknown_service("matmo"), "unknown service `matmo`");
    }

    #[test]
    fn gate_table() {
        let config = config();
        let nothing = decided(&config, &[], &[]);
        let analytics = decided(&config, &["analytics"], &[]);
        let plausible_only = decided(&config, &[], &["plausible"]);
        // (data-category, data-service, before a decision, after reject, after analytics, after plausible only)
        let table: &[(&str, Option<&str>, [bool; 4])] = &[
            ("necessary", None, [true, true, true, true]),
            ("necessary", Some("session"), [true, true, true, true]),
            ("!necessary", None, [false, false, false, false]),
            ("analytics", None, [false, false, true, true]),
            ("analytics", Some("matomo"), [false, false, true, false]),
            ("analytics", Some("plausible"), [false, false, true, true]),
            ("!analytics", None, [false, true, false, false]),
            ("!analytics", Some("matomo"), [false, true, false, true]),
            (" ! analytics ", None, [false, true, false, false]),
            ("media", None, [false, false, false, false]),
            ("!media", None, [false, true, true, true]),
            ("unknown", None, [false, false, false, false]),
            ("!unknown", None, [false, false, false, false]),
            ("analytics", Some("ghost"), [false, false, false, false]),
            ("!analytics", Some("ghost"), [false, false, false, false]),
        ];
        for (category, service, expected) in table {
            let gate = Gate::parse(category, *service);
            let got = [
                Policy::new(&config, None).gate_open(&gate),
                Policy::new(&config, Some(&nothing)).gate_open(&gate),
                Policy::new(&config, Some(&analytics)).gate_open(&gate),
                Policy::new(&config, Some(&plausible_only)).gate_open(&gate),
            ];
            assert_eq!(&got, expected, "{category:?} {service:?}");
        }
    }

    fn guarded() -> Config {
        Config::from_json(
            r#"{
            "tenant": "t",
            "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
            "categories": {
                "necessary": { "readOnly": true, "services": {
                    "session": { "provider": "us", "purpose": "login", "cookies": ["PHPSESSID"],
                                 "storage": ["cart"], "retention": "session" } } },
                "analytics": { "services": {
                    "matomo": { "provider": "P", "purpose": "stats", "cookies": ["_pk_*", "shared"],
                                "storage": ["matomo_*"], "hosts": ["stats.example"], "retention": "1y" },
                    "ga": { "provider": "G", "purpose": "stats", "cookies": ["_ga*", "shared"],
                            "hosts": ["*.google-analytics.example", "cdn.example"], "retention": "2y" } } },
                "media": { "services": {
                    "video": { "provider": "V", "purpose": "videos", "hosts": ["cdn.example"] } } }
            }}"#,
        )
        .expect("valid config")
    }

    #[test]
    fn cookie_storage_and_host_table() {
        let config = guarded();
        let matomo = decided(&config, &[], &["matomo"]);
        let all = decided(&config, &["analytics", "media"], &[]);
        let mut allow_unknown = config.clone();
        allow_unknown.consent.unknown_cookies = UnknownPolicy::Allow;
        // (what, name, [no decision, matomo only, everything, unknown=allow + no decision])
        type Check = fn(&Policy<'_>, &str) -> bool;
        let cookie: Check = |p, n| p.cookie_write_allowed(n);
        let storage: Check = |p, n| p.storage_write_allowed(n);
        let host: Check = |p, n| p.host_allowed(n);
        let table: &[(Check, &str, [bool; 4])] = &[
            (cookie, "kd_consent", [true, true, true, true]),
            (cookie, "PHPSESSID", [true, true, true, true]),
            (cookie, "_pk_id.1", [false, true, true, false]),
            (cookie, "_ga", [false, false, true, false]),
            (cookie, "_ga_XYZ", [false, false, true, false]),
            (cookie, "shared", [false, false, true, false]),
            (cookie, "mystery", [false, false, false, true]),
            (cookie, "", [false, false, false, true]),
            (storage, "cart", [true, true, true, true]),
            (storage, "matomo_visitor", [false, true, true, false]),
            (storage, "mystery", [false, false, false, true]),
            (host, "stats.example", [false, true, true, false]),
            (
                host,
                "www.google-analytics.example",
                [false, false, true, false],
            ),
            (host, "google-analytics.example", [true, true, true, true]),
            (host, "cdn.example", [false, false, true, false]),
            (host, "elsewhere.example", [true, true, true, true]),
        ];
        for (check, name, expected) in table {
            let got = [
                check(&Policy::new(&config, None), name),
                check(&Policy::new(&config, Some(&matomo)), name),
                check(&Policy::new(&config, Some(&all)), name),
                check(&Policy::new(&allow_unknown, None), name),
            ];
            assert_eq!(&got, expected, "{name:?}");
        }
    }

    #[test]
    fn blocked_hosts_are_attributed_to_a_refused_service() {
        let config = guarded();
        let ga_only = decided(&config, &[], &["ga"]);
        let policy = Policy::new(&config, Some(&ga_only));
        assert_eq!(
            policy.refused_service_for_host("cdn.example"),
            Some(("media", "video"))
        );
        assert_eq!(
            policy.refused_service_for_host("stats.example"),
            Some(("analytics", "matomo"))
        );
        assert_eq!(policy.refused_service_for_host("elsewhere.example"), None);
        let refused: Vec<&str> = policy
            .refused_services()
            .iter()
            .map(|(key, _)| *key)
            .collect();
        assert_eq!(refused, ["matomo", "video"]);
    }

    #[test]
    fn cookie_assignments_parse_like_the_browser() {
        let parse = CookieAssignment::parse;
        assert_eq!(parse("_ga=GA1.2; path=/; max-age=63072000").name, "_ga");
        assert_eq!(parse(" _ga =x").name, "_ga");
        assert_eq!(parse("novalue").name, "");
        assert_eq!(parse("a=b=c").name, "a");
        assert_eq!(parse("a=; Max-Age=0").max_age, Some(0));
        assert_eq!(parse("a=; max-age=-1").max_age, Some(-1));
        assert_eq!(parse("a=1; max-age=soon").max_age, None);
        assert_eq!(parse("a=1; max-age=5; max-age=soon").max_age, Some(5));
        assert_eq!(
            parse("a=; expires=Thu, 01 Jan 1970 00:00:00 GMT").expires,
            Some("Thu, 01 Jan 1970 00:00:00 GMT")
        );
        let past = |_: &str| true;
        assert!(parse("a=; Max-Age=0").deletes(past));
        assert!(parse("a=; expires=x").deletes(past));
        assert!(
            !parse("a=x; expires=x; Max-Age=31536000").deletes(past),
            "Max-Age wins"
        );
        assert!(!parse("a=x").deletes(past));
        assert_eq!(
            parse("_ga=x; domain=.example.org; path=/a; secure; samesite=none; partitioned")
                .deletion(),
            "_ga=; Max-Age=0; Path=/a; Domain=.example.org; Secure; Partitioned"
        );
        assert_eq!(parse("_ga=x").deletion(), "_ga=; Max-Age=0");
    }

    #[test]
    fn deletions_reach_every_path_prefix_and_parent_domain() {
        let all = cookie_deletions(
            "_ga",
            "www.musterstadt.de",
            "/a/b.html",
            Some(".musterstadt.de"),
        );
        let expect = |s: &str| assert!(all.contains(&s.to_owned()), "{s} in {all:#?}");
        expect("_ga=; Max-Age=0; Path=/");
        expect("_ga=; Max-Age=0; Path=/a");
        expect("_ga=; Max-Age=0; Path=/a/");
        expect("_ga=; Max-Age=0; Path=/a/b.html");
        expect("_ga=; Max-Age=0; Path=/; Domain=www.musterstadt.de");
        expect("_ga=; Max-Age=0; Path=/a; Domain=musterstadt.de");
        expect("_ga=; Max-Age=0; Path=/; Domain=de");
        assert_eq!(all.len(), 5 * 4, "5 paths x (host-only + 3 domains)");
        let ip = cookie_deletions("x", "127.0.0.1", "/", None);
        assert_eq!(ip, ["x=; Max-Age=0; Path=/"]);
    }
}
