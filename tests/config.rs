//! Config parsing and validation: one table row per rule, each naming the dotted path.

use keksdose::config::{
    Config, ConfigError, LanguageSetting, Localized, OrderedMap, TextKey, Texts, pick_language,
};
use keksdose::seal::keys::PublicKey;
use serde_json::{Value, json};

/// A well-formed public key (32 bytes of 0x01) and its key id.
const PUBLIC_KEY: &str = "kdpk1AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";

fn kid() -> String {
    PUBLIC_KEY
        .parse::<PublicKey>()
        .expect("key")
        .kid()
        .to_string()
}

fn base() -> Value {
    json!({
        "tenant": "musterstadt",
        "language": "de",
        "policy": { "privacyUrl": "/datenschutz", "imprintUrl": "https://musterstadt.de/impressum" },
        "consent": { "cookieName": "kd_consent", "expiresAfterDays": 180, "domain": null,
                     "respectGpc": true, "logEndpoint": "/keksdose/receipts" },
        "categories": {
            "necessary": { "readOnly": true, "services": {
                "session": { "provider": "Stadt Musterstadt", "purpose": "Anmeldung",
                             "cookies": ["PHPSESSID"], "retention": "Sitzung" } } },
            "analytics": { "services": {
                "matomo": { "provider": "Stadt Musterstadt (self-hosted)",
                            "purpose": { "de": "Besucherstatistik", "en": "Visitor statistics" },
                            "cookies": ["_pk_*"], "storage": ["matomo_*"],
                            "hosts": ["stats.musterstadt.de"], "retention": "13 Monate" } } },
            "media": { "services": {
                "video": { "provider": "Google Ireland Ltd.", "purpose": "Videos",
                           "embed": true, "hosts": ["*.youtube-nocookie.com"],
                           "privacyUrl": "https://policies.google.com/privacy" } } },
            "newsletter": { "title": { "de": "Newsletter" }, "description": "Versand" }
        },
        "texts": { "de": { "bannerTitle": "Cookies" }, "en": {} },
        "googleConsentMode": { "analytics_storage": ["analytics"], "ad_storage": ["media"] },
        "seal": { "keys": [{ "kid": kid(), "publicKey": PUBLIC_KEY, "status": "active" }],
                  "maxAttachmentBytes": 26214400 }
    })
}

fn parse(value: &Value) -> Result<Config, ConfigError> {
    Config::from_json(&value.to_string())
}

/// Sets the value at a `/`-separated JSON pointer, creating nothing: the parent must exist.
fn with(pointer: &str, new: Value) -> Value {
    let mut value = base();
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let parent = value.pointer_mut(parent).expect("parent exists");
    match parent {
        Value::Object(map) => {
            map.insert(key.to_owned(), new);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("index")] = new,
        _ => panic!("not a container: {pointer}"),
    }
    value
}

fn without(pointer: &str) -> Value {
    let mut value = base();
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent object")
        .remove(key)
        .expect("present");
    value
}

fn problems(value: &Value) -> Vec<String> {
    match parse(value) {
        Ok(_) => Vec::new(),
        Err(error) => error.problems.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn the_design_example_is_valid() {
    let config = parse(&base()).expect("valid");
    assert_eq!(config.tenant, "musterstadt");
    assert_eq!(
        config.categories.keys().collect::<Vec<_>>(),
        ["necessary", "analytics", "media", "newsletter"],
        "document order is kept"
    );
    assert!(config.needs_decision());
    let mode = config.google_consent_mode.expect("Consent Mode");
    assert_eq!(
        mode.types.iter().collect::<Vec<_>>(),
        [
            ("ad_storage", &vec!["media".to_owned()]),
            ("analytics_storage", &vec!["analytics".to_owned()])
        ],
        "in Google's order"
    );
    assert!(mode.region.is_empty() && mode.ads_data_redaction.is_none());
}

#[test]
fn defaults_fill_optional_sections() {
    let config = Config::from_json(
        r#"{ "tenant": "t", "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
             "categories": { "necessary": { "readOnly": true } } }"#,
    )
    .expect("valid");
    assert_eq!(config.language, LanguageSetting::Fixed("de".into()));
    assert_eq!(config.consent.cookie_name, "kd_consent");
    assert_eq!(config.consent.expires_after_days, 180);
    assert_eq!(config.consent.refusal_expires_after_days, 180);
    for (key, own) in [
        ("kd_consent.records", true),
        ("kd_consent.unsent", true),
        ("kd_consent", false),
        ("kd_consent.records2", false),
        ("x.records", false),
    ] {
        assert_eq!(config.consent.is_own_storage_key(key), own, "{key}");
    }
    assert_eq!(config.consent.records_key(), "kd_consent.records");
    assert_eq!(config.consent.unsent_key(), "kd_consent.unsent");
    assert!(config.consent.respect_gpc);
    assert!(!config.needs_decision(), "only necessary: no banner");
    assert!(config.google_consent_mode.is_none());
    assert_eq!(
        (
            config.banner.layout,
            config.banner.position,
            config.banner.color_scheme
        ),
        ("box", "bottom", "auto")
    );
}

#[test]
fn the_banner_look_is_read_and_checked() {
    let config = parse(&with(
        "/banner",
        json!({ "layout": "cloud", "position": "top", "colorScheme": "dark" }),
    ))
    .expect("valid");
    assert_eq!(
        (
            config.banner.layout,
            config.banner.position,
            config.banner.color_scheme
        ),
        ("cloud", "top", "dark")
    );
    let revision = |value: &Value| keksdose::consent::revision(&parse(value).expect("valid"));
    assert_eq!(
        revision(&with("/banner", json!({ "layout": "bar" }))),
        revision(&base()),
        "the look is not part of the revision"
    );
    for (banner, expected) in [
        (
            json!({ "layout": "modal" }),
            "banner.layout: unknown variant `modal`, expected one of `box`, `bar`, `cloud`",
        ),
        (
            json!({ "position": "left" }),
            "banner.position: unknown variant `left`",
        ),
        (
            json!({ "colorScheme": "black" }),
            "banner.colorScheme: unknown variant `black`",
        ),
        (
            json!({ "layout": "bar", "position": "bottom-left" }),
            "banner.position: `bottom-left` places a box at a side; a bar spans the screen",
        ),
        (
            json!({ "theme": "x" }),
            "banner.theme: invalid type: string \"x\", expected an object",
        ),
        (
            json!({ "theme": { "dark": { "button": "blue" } } }),
            "banner.theme.dark.button: expected a colour like #0b4f9c",
        ),
    ] {
        let found = problems(&with("/banner", banner));
        assert!(
            found.iter().any(|p| p.starts_with(expected)),
            "{expected}: {found:?}"
        );
    }
}

#[test]
fn a_theme_is_checked_for_contrast_with_the_stylesheets_colours_where_it_sets_none() {
    let theme = json!({
        "light": { "background": "#FFFFF0", "text": "#222", "button": "#005a9c", "buttonText": "#fff" },
        "dark": { "focus": "#ffb4ab" }
    });
    let config = parse(&with("/banner", json!({ "theme": theme }))).expect("valid");
    let mut light = [None; 8];
    light[..2].copy_from_slice(&[Some(0xfffff0), Some(0x222222)]);
    light[5..7].copy_from_slice(&[Some(0x005a9c), Some(0xffffff)]);
    assert_eq!(
        config.banner.theme,
        [
            light,
            [None, None, None, None, None, None, None, Some(0xffb4ab)]
        ]
    );
    let revision = |value: &Value| keksdose::consent::revision(&parse(value).expect("valid"));
    assert_eq!(
        revision(&with("/banner", json!({ "theme": theme }))),
        revision(&base()),
        "colours are not part of the revision"
    );

    // #767676 on white is 4.54:1, #777777 4.48:1; a pair is checked only where the theme sets
    // one of its colours, and then against the stylesheet's other colour.
    assert_eq!(
        problems(&with(
            "/banner",
            json!({ "theme": { "light": { "text": "#767676", "muted": "#777" } } })
        )),
        [
            "banner.theme.light.muted: contrast 4.4:1 with background #ffffff; at least 4.5:1 \
          is needed (WCAG 2.1 AA)"
        ]
    );
    assert_eq!(
        problems(&with(
            "/banner",
            json!({ "theme": { "light": { "buttonText": "#fff", "button": "#3a7bd5" },
                               "dark": { "background": "#767676" } } })
        )),
        [
            "banner.theme.light.buttonText: contrast 4.2:1 with button #3a7bd5; at least 4.5:1 \
             is needed (WCAG 2.1 AA)",
            "banner.theme.dark.background: contrast 4.0:1 with text #f2f2f2; at least 4.5:1 is \
             needed (WCAG 2.1 AA)",
            "banner.theme.dark.background: contrast 2.9:1 with muted #cfcfcf; at least 4.5:1 is \
             needed (WCAG 2.1 AA)",
            "banner.theme.dark.background: contrast 2.5:1 with link #9ec5ff; at least 4.5:1 is \
             needed (WCAG 2.1 AA)",
            "banner.theme.dark.background: contrast 1.6:1 with line #9a9a9a; at least 3:1 is \
             needed (WCAG 2.1 AA)",
            "banner.theme.dark.background: contrast 2.6:1 with focus #ffb4ab; at least 3:1 is \
             needed (WCAG 2.1 AA)",
        ]
    );
    // Lines and the focus ring need 3:1; black on white (21:1) passes.
    assert_eq!(
        problems(&with(
            "/banner",
            json!({ "theme": { "light": { "line": "#959595", "focus": "#fff", "text": "#000" } } })
        )),
        [
            "banner.theme.light.line: contrast 2.9:1 with background #ffffff; at least 3:1 is \
             needed (WCAG 2.1 AA)",
            "banner.theme.light.focus: contrast 1.0:1 with background #ffffff; at least 3:1 is \
             needed (WCAG 2.1 AA)",
        ]
    );
}

/// (what is changed, the new value or None to remove, expected problem lines)
#[test]
fn semantic_rules() {
    let table: Vec<(&str, Option<Value>, &[&str])> = vec![
        (
            "/tenant",
            Some(json!("Muster Stadt")),
            &["tenant: expected 1–63 characters"],
        ),
        ("/tenant", Some(json!("")), &["tenant: expected"]),
        ("/tenant", Some(json!("-x")), &["tenant: expected"]),
        ("/tenant", Some(json!("x-")), &["tenant: expected"]),
        (
            "/policy/privacyUrl",
            Some(json!("")),
            &["policy.privacyUrl: must not be empty"],
        ),
        (
            "/policy/privacyUrl",
            Some(json!("javascript:alert(1)")),
            &["policy.privacyUrl: scheme `javascript:` is not allowed"],
        ),
        (
            "/policy/imprintUrl",
            Some(json!("/a b")),
            &["policy.imprintUrl: must not contain spaces"],
        ),
        (
            "/consent/cookieName",
            Some(json!("kd consent")),
            &["consent.cookieName: expected a cookie name"],
        ),
        (
            "/consent/cookieName",
            Some(json!("kd;x")),
            &["consent.cookieName: expected a cookie name"],
        ),
        (
            "/consent/expiresAfterDays",
            Some(json!(0)),
            &["consent.expiresAfterDays: expected 1 to 395 days"],
        ),
        (
            "/consent/expiresAfterDays",
            Some(json!(396)),
            &["consent.expiresAfterDays: expected 1 to 395 days"],
        ),
        (
            "/consent/domain",
            Some(json!("https://x.de")),
            &["consent.domain: expected a domain"],
        ),
        (
            "/consent/domain",
            Some(json!("de")),
            &["consent.domain: expected a domain"],
        ),
        (
            "/consent/domain",
            Some(json!("192.168.0.1")),
            &["consent.domain: expected a domain"],
        ),
        (
            "/consent/logEndpoint",
            Some(json!("data:x")),
            &["consent.logEndpoint: scheme `data:` is not allowed"],
        ),
        (
            "/categories",
            Some(json!({})),
            &[
                "categories: expected at least one category",
                "googleConsentMode.ad_storage[0]: no category `media` in categories",
                "googleConsentMode.analytics_storage[0]: no category `analytics` in categories",
            ],
        ),
        (
            "/categories/Analytics",
            Some(json!({})),
            &[
                "categories.Analytics: category names are 1–32 characters",
                "categories.Analytics.title: required",
                "categories.Analytics.description: required",
            ],
        ),
        (
            "/categories/newsletter/title",
            None,
            &[
                "categories.newsletter.title: required: keksdose ships default texts only for necessary, functional, analytics, marketing, media",
            ],
        ),
        (
            "/categories/newsletter/description",
            Some(json!({ "de": " " })),
            &["categories.newsletter.description.de: must not be empty"],
        ),
        (
            "/categories/media/services/matomo",
            Some(json!({ "provider": "x", "purpose": "y" })),
            &[
                "categories.media.services.matomo: service `matomo` is already declared in categories.analytics",
            ],
        ),
        (
            "/categories/analytics/services/matomo/provider",
            Some(json!("")),
            &["categories.analytics.services.matomo.provider: must not be empty"],
        ),
        (
            "/categories/analytics/services/matomo/name",
            Some(json!(" ")),
            &["categories.analytics.services.matomo.name: must not be empty"],
        ),
        (
            "/categories/analytics/services/matomo/purpose",
            Some(json!({ "de": "" })),
            &["categories.analytics.services.matomo.purpose.de: must not be empty"],
        ),
        (
            "/categories/analytics/services/matomo/cookies",
            Some(json!(["_pk_*", "bad name"])),
            &["categories.analytics.services.matomo.cookies[1]: expected a cookie name"],
        ),
        (
            "/categories/analytics/services/matomo/cookies",
            Some(json!(["kd_*"])),
            &[
                "categories.analytics.services.matomo.cookies[0]: matches the consent cookie `kd_consent`, which is always necessary",
            ],
        ),
        (
            "/categories/analytics/services/matomo/storage",
            Some(json!([""])),
            &["categories.analytics.services.matomo.storage[0]: expected a storage key"],
        ),
        (
            "/categories/analytics/services/matomo/hosts",
            Some(json!(["https://stats.x.de/"])),
            &["categories.analytics.services.matomo.hosts[0]: expected a host name only"],
        ),
        (
            "/categories/analytics/services/matomo/hosts",
            Some(json!(["Stats.X.de"])),
            &["categories.analytics.services.matomo.hosts[0]: expected a lower-case host"],
        ),
        (
            "/categories/analytics/services/matomo/hosts",
            Some(json!(["stats.x.de:8080"])),
            &["categories.analytics.services.matomo.hosts[0]: expected a lower-case host"],
        ),
        (
            "/categories/analytics/services/matomo/retention",
            None,
            &["categories.analytics.services.matomo.retention: required"],
        ),
        (
            "/categories/media/services/video/privacyUrl",
            Some(json!("vbscript:x")),
            &["categories.media.services.video.privacyUrl: scheme `vbscript:` is not allowed"],
        ),
        (
            "/categories/media/services/video/hosts",
            Some(json!([])),
            &["categories.media.services.video.hosts: required for an embed"],
        ),
        (
            "/categories/necessary/services/session/embed",
            Some(json!(true)),
            &[
                "categories.necessary.services.session.embed: an embed in a read-only category",
                "categories.necessary.services.session.hosts: required for an embed",
            ],
        ),
        (
            "/texts/de/bannerTitel",
            Some(json!("x")),
            &["texts.de.bannerTitel: unknown text key; expected one of bannerTitle, "],
        ),
        (
            "/texts/en/acceptAll",
            Some(json!("")),
            &["texts.en.acceptAll: must not be empty"],
        ),
        (
            "/categories/analytics/services/matomo/storage",
            Some(json!(["matomo_*", "kd_*"])),
            &[
                "categories.analytics.services.matomo.storage[1]: matches keksdose's own storage key `kd_consent.records`",
            ],
        ),
        (
            "/consent/refusalExpiresAfterDays",
            Some(json!(400)),
            &["consent.refusalExpiresAfterDays: expected 1 to 395 days"],
        ),
        (
            "/googleConsentMode/region",
            Some(json!(["DE", "us-ca", "US-CA"])),
            &["googleConsentMode.region[1]: expected an ISO 3166-2 region"],
        ),
        (
            "/googleConsentMode/ad_storage",
            Some(json!([])),
            &["googleConsentMode.ad_storage: expected at least one category"],
        ),
        (
            "/googleConsentMode/ad_storage",
            Some(json!(["media", "ads"])),
            &["googleConsentMode.ad_storage[1]: no category `ads` in categories"],
        ),
        (
            "/seal/keys",
            Some(json!([])),
            &["seal.keys: expected at least one key"],
        ),
        (
            "/seal/keys/0/status",
            Some(json!("retired")),
            &["seal.keys: expected exactly one key with status `active`, found 0"],
        ),
        (
            "/seal/keys/0/publicKey",
            Some(json!(PUBLIC_KEY.replace("kdpk1", "kdsk1"))),
            &["seal.keys[0].publicKey: this is a SECRET key"],
        ),
        (
            "/seal/keys/0/publicKey",
            Some(json!("kdpk1AQEB")),
            &["seal.keys[0].publicKey: expected a public key starting with `kdpk1`"],
        ),
        (
            // All zeros: a low-order X25519 point, to which the browser could never seal.
            "/seal/keys/0/publicKey",
            Some(json!(format!("kdpk1{}", "A".repeat(43)))),
            &["seal.keys[0].publicKey: a low-order X25519 key"],
        ),
        (
            // 1, with the top bit (which X25519 ignores) set.
            "/seal/keys/0/publicKey",
            Some(json!("kdpk1AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA")),
            &["seal.keys[0].publicKey: a low-order X25519 key"],
        ),
        (
            "/seal/keys/0/publicKey",
            Some(json!("age1xyz")),
            &["seal.keys[0].publicKey: expected a public key starting with `kdpk1`"],
        ),
        (
            "/seal/keys/0/kid",
            Some(json!("00000000000000000000000000000000")),
            &["seal.keys[0].kid: does not belong to this public key, whose key id is "],
        ),
        (
            "/seal/maxAttachmentBytes",
            Some(json!(268435457u64)),
            &["seal.maxAttachmentBytes: expected at most"],
        ),
    ];
    for (pointer, value, expected) in table {
        let config = match value {
            Some(value) => with(pointer, value),
            None => without(pointer),
        };
        let got = problems(&config);
        assert_eq!(got.len(), expected.len(), "{pointer}: {got:#?}");
        for (line, want) in got.iter().zip(expected) {
            assert!(
                line.starts_with(want),
                "{pointer}:\n  got  {line}\n  want {want}…"
            );
        }
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut config = with("/tenant", json!("BAD"));
    config["consent"]["expiresAfterDays"] = json!(1000);
    config["categories"]["analytics"]["services"]["matomo"]["hosts"] =
        json!(["a b", "ok.de", "/x"]);
    config["texts"]["en"]["nope"] = json!("x");
    let got = problems(&config);
    let paths: Vec<&str> = got
        .iter()
        .map(|l| l.split(':').next().expect("path"))
        .collect();
    assert_eq!(
        paths,
        [
            "tenant",
            "consent.expiresAfterDays",
            "categories.analytics.services.matomo.hosts[0]",
            "categories.analytics.services.matomo.hosts[2]",
            "texts.en.nope",
        ]
    );
    let error = parse(&config).expect_err("invalid");
    assert_eq!(error.to_string().lines().count(), 5);
}

#[test]
fn shape_errors_name_the_dotted_path() {
    let cases: Vec<(Value, &str)> = vec![
        (
            with("/categories/analytics/servces", json!({})),
            "categories.analytics.servces: unknown field `servces`, expected one of",
        ),
        (
            with("/consent/cookeName", json!("x")),
            "consent.cookeName: unknown field `cookeName`",
        ),
        (with("/extra", json!(1)), "extra: unknown field `extra`"),
        (
            with("/googleConsentMode/ad_storrage", json!(["media"])),
            "googleConsentMode.ad_storrage: unknown field `ad_storrage`, expected one of `ad_storage`",
        ),
        (
            with("/googleConsentMode/url_passthrough", json!("yes")),
            "googleConsentMode.url_passthrough: invalid type: string \"yes\", expected true or false",
        ),
        (
            with("/language", json!(5)),
            "language: invalid type: number 5, expected a string",
        ),
        (
            with("/consent/expiresAfterDays", json!("180")),
            "consent.expiresAfterDays: invalid type: string \"180\", expected a whole number",
        ),
        (
            with(
                "/categories/analytics/services/matomo/cookies",
                json!("_pk_*"),
            ),
            "categories.analytics.services.matomo.cookies: invalid type: string",
        ),
        (
            with(
                "/categories/analytics/services/matomo/purpose",
                json!({ "de": ["x"] }),
            ),
            "categories.analytics.services.matomo.purpose.de: invalid type: an array, expected a string",
        ),
        (
            with("/categories/analytics/services/matomo/purpose", json!({})),
            "categories.analytics.services.matomo.purpose: expected a text for at least one language",
        ),
        (
            with("/seal/keys/0/status", json!("on")),
            "seal.keys[0].status: unknown variant `on`",
        ),
        (without("/policy"), "missing field `policy`"),
    ];
    for (config, want) in cases {
        let got = problems(&config);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with(want),
            "\n  got  {}\n  want {want}…",
            got[0]
        );
    }
}

#[test]
fn syntax_errors_and_duplicates_are_reported() {
    let got = |json: &str| {
        Config::from_json(json)
            .expect_err("invalid")
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
    };
    assert!(got("{")[0].contains("EOF while parsing"), "{:?}", got("{"));
    let valid = base().to_string();
    assert!(got(&format!("{valid} x"))[0].contains("trailing characters"));
    let duplicate = r#"{ "tenant": "t", "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
        "categories": { "analytics": {}, "analytics": {} } }"#;
    assert!(
        got(duplicate)[0].starts_with("categories: duplicate key `analytics`"),
        "{:?}",
        got(duplicate)
    );
}

#[test]
fn a_text_given_per_language_is_shown_in_that_language_only() {
    let texts = |pairs: &[(&str, &str)]| -> OrderedMap<String> {
        pairs
            .iter()
            .map(|(lang, text)| ((*lang).to_owned(), (*text).to_owned()))
            .collect()
    };
    let de_only = Localized::PerLanguage(texts(&[("de", "Hallo")]));
    assert_eq!(
        de_only.get("en"),
        None,
        "no silent fallback to another language"
    );
    assert_eq!(de_only.text("en"), "");
    let both = Localized::PerLanguage(texts(&[("de", "Hallo"), ("en", "Hello")]));
    assert_eq!(both.get("en"), Some("Hello"));
    assert_eq!(Localized::Same("x".into()).get("tr"), Some("x"));
}

#[test]
fn language_auto_prefers_the_document_then_the_browser_among_the_offered() {
    let offered = ["de", "en", "tr"];
    let wanted = |tags: &[&str]| -> Vec<String> { tags.iter().map(|t| (*t).to_owned()).collect() };
    assert_eq!(pick_language(&offered, &wanted(&["en-GB", "de"])), "en");
    assert_eq!(
        pick_language(&offered, &wanted(&["fr", "fr-FR", "TR", "de"])),
        "tr"
    );
    assert_eq!(pick_language(&offered, &wanted(&["de-AT"])), "de");
    assert_eq!(
        pick_language(&offered, &wanted(&["fr"])),
        "de",
        "else the first offered"
    );
    assert_eq!(pick_language(&["en"], &wanted(&["de"])), "en");
    let mut auto = base();
    auto["language"] = json!("auto");
    auto["categories"]["newsletter"]["title"]["en"] = json!("Newsletter");
    let config = parse(&auto).expect("valid");
    assert_eq!(config.languages(), ["de", "en"]);
    assert_eq!(config.language_for(&wanted(&["en-US"])), "en");
    let fixed = parse(&base()).expect("valid");
    assert_eq!(fixed.language_for(&wanted(&["en"])), "de");
}

/// A config offered in German, English and Turkish, where Turkish texts are all given.
fn turkish() -> Value {
    let texts: serde_json::Map<String, Value> = TextKey::ALL
        .iter()
        .map(|key| (key.name().to_owned(), json!(format!("tr: {}", key.name()))))
        .collect();
    json!({
        "tenant": "musterstadt",
        "language": "auto",
        "policy": { "privacyUrl": "/datenschutz", "imprintUrl": "/impressum" },
        "categories": {
            "necessary": { "readOnly": true,
                           "title": { "tr": "Gerekli" }, "description": { "tr": "Gerekli çerezler" } },
            "analytics": {
                "title": { "de": "Statistik", "en": "Statistics", "tr": "İstatistik" },
                "description": { "tr": "Ziyaretçi istatistikleri" },
                "services": {
                    "matomo": {
                        "name": { "de": "Statistik", "en": "Statistics", "tr": "İstatistik" },
                        "provider": { "de": "Stadt Musterstadt", "en": "City of Musterstadt",
                                      "tr": "Musterstadt Belediyesi" },
                        "purpose": { "de": "Besucherstatistik", "en": "Visitor statistics",
                                     "tr": "Ziyaretçi istatistikleri" },
                        "cookies": ["_pk_*"], "retention": "13" } } }
        },
        "texts": { "tr": texts }
    })
}

#[test]
fn any_language_the_config_gives_every_text_for() {
    let config = parse(&turkish()).expect("valid");
    assert_eq!(config.languages(), ["de", "en", "tr"]);
    assert_eq!(config.language_for(&["tr-TR".to_owned()]), "tr");
    let tr = Texts::new(&config, "tr");
    assert_eq!(tr.get(TextKey::AcceptAll), "tr: acceptAll");
    assert_eq!(tr.category_title("necessary"), "Gerekli");
    assert_eq!(
        tr.category_description("analytics"),
        "Ziyaretçi istatistikleri"
    );
    let (_, matomo) = config.service("matomo").expect("service");
    assert_eq!(matomo.display_name("matomo", "tr"), "İstatistik");
    assert_eq!(matomo.provider.text("en"), "City of Musterstadt");
    // German and English keep their shipped texts where the config gives none.
    let de = Texts::new(&config, "de");
    assert_eq!(de.get(TextKey::AcceptAll), "Alle akzeptieren");
    assert_eq!(de.category_title("necessary"), "Technisch notwendig");
    assert_eq!(
        Texts::new(&config, "en").category_description("analytics"),
        "Helps us understand how the website is used so that we can improve it."
    );
}

#[test]
fn a_missing_text_in_an_offered_language_is_an_error_not_a_fallback() {
    let mut config = turkish();
    let texts = config["texts"]["tr"].as_object_mut().expect("texts");
    texts.remove("acceptAll");
    texts.remove("sealSent");
    let services = &mut config["categories"]["analytics"]["services"];
    services["matomo"]["purpose"]
        .as_object_mut()
        .expect("purpose")
        .remove("tr");
    services["matomo"]["name"] = json!({ "de": "Statistik" });
    config["categories"]["necessary"]
        .as_object_mut()
        .expect("necessary")
        .remove("title");
    assert_eq!(
        problems(&config),
        [
            "categories.necessary.title.tr: missing: the banner is offered in de, en, tr",
            "categories.analytics.services.matomo.name.en: missing: the banner is offered in de, en, tr",
            "categories.analytics.services.matomo.name.tr: missing: the banner is offered in de, en, tr",
            "categories.analytics.services.matomo.purpose.tr: missing: the banner is offered in de, en, tr",
            "texts.tr: missing acceptAll, sealSent: keksdose ships texts only for de, en",
        ]
    );
    // The same holds for a language the config sets fixed.
    let mut fixed = base();
    fixed["language"] = json!("fr");
    let problems = problems(&fixed);
    assert!(
        problems.contains(&"categories.analytics.services.matomo.purpose.fr: missing: the banner is offered in fr".to_owned())
            && problems.iter().any(|p| p.starts_with("texts.fr: missing bannerTitle, bannerDescription, acceptAll,"))
            && problems.contains(&"categories.analytics.title.fr: missing: the banner is offered in fr".to_owned()),
        "{problems:?}"
    );
}

#[test]
fn language_tags_are_iso_639_codes() {
    assert_eq!(
        problems(&with("/language", json!("Deutsch"))),
        [
            "language: expected a language tag of 2–3 lower-case letters (ISO 639), e.g. `de`, `en`, `tr`"
        ]
    );
    let mut config = base();
    config["texts"]["EN"] = json!({});
    assert_eq!(
        problems(&config),
        [
            "texts.EN: expected a language tag of 2–3 lower-case letters (ISO 639), e.g. `de`, `en`, `tr`"
        ]
    );
}

#[test]
fn a_host_only_cookie_name_cannot_have_a_domain() {
    let mut config = with("/consent/cookieName", json!("__Host-kd"));
    assert_eq!(problems(&config), Vec::<String>::new());
    config["consent"]["domain"] = json!("musterstadt.de");
    assert_eq!(
        problems(&config),
        [
            "consent.domain: a `__Host-` cookie cannot have a domain: use null, or another cookie name"
        ]
    );
}

/// The PHP drop-in checks tenants with the regular expression `keksdose::tenant` documents;
/// PHP itself (which the test command needs anyway, for the drop-in's own test) runs it here.
#[test]
fn the_php_drop_in_follows_the_one_tenant_rule() {
    let source = std::fs::read_to_string("php/keksdose.php").expect("the PHP drop-in");
    let regex = source
        .lines()
        .skip_while(|line| !line.contains("function is_label("))
        .find_map(|line| line.split("preg_match('").nth(1))
        .and_then(|rest| rest.split('\'').next())
        .expect("is_label's regular expression");
    assert_eq!(regex, "/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/D");
    let names = [
        "musterstadt",
        "a",
        "9",
        "kreis-7",
        "-a",
        "a-",
        "-",
        "",
        "A",
        "a_b",
        "a.b",
        "ä",
        "a\n",
        &"x".repeat(63),
        &"x".repeat(64),
    ];
    let script = format!(
        "foreach (json_decode($argv[1]) as $n) echo preg_match('{regex}', $n) === 1 ? '1' : '0';"
    );
    let output = std::process::Command::new("php")
        .args([
            "-r",
            &script,
            "--",
            &serde_json::to_string(&names).expect("json"),
        ])
        .output()
        .expect("php runs");
    assert!(output.status.success(), "{output:?}");
    let expected: String = names
        .iter()
        .map(|name| {
            if keksdose::tenant::is_valid(name) {
                '1'
            } else {
                '0'
            }
        })
        .collect();
    assert_eq!(String::from_utf8_lossy(&output.stdout), expected);
}
