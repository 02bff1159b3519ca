//! The session rules, natively: start, GPC, decisions, withdrawal, re-ask, expiry, reset, the
//! consent cookie's attributes and the records each decision produces.

use keksdose::config::Config;
use keksdose::consent::session::{Effects, Event, Session, Site, Visit};
use keksdose::consent::{Choice, Method, cookie, revision};
use serde_json::{Value, json};

const DAY: u64 = 86_400;
const NOW: u64 = 1_796_019_602;

fn config_json() -> Value {
    json!({
        "tenant": "musterstadt",
        "policy": { "privacyUrl": "/datenschutz", "imprintUrl": "/impressum" },
        "consent": { "logEndpoint": "/keksdose/receipts" },
        "categories": {
            "necessary": { "readOnly": true, "services": {
                "session": { "provider": "Stadt", "purpose": "Anmeldung" } } },
            "analytics": { "services": {
                "matomo": { "provider": "Stadt", "purpose": "Statistik" } } },
            "media": { "services": {
                "video": { "provider": "V", "purpose": "Videos" } } }
        }
    })
}

fn config_from(value: &Value) -> Config {
    Config::from_json(&value.to_string()).expect("valid config")
}

fn site() -> Site {
    Site {
        host: "www.musterstadt.test".into(),
        secure: true,
    }
}

fn start_with(config: &Config, cookies: &str, gpc: bool, now: u64) -> (Session, Effects) {
    let visit = Visit {
        site: site(),
        cookie_header: cookies,
        gpc,
        config_hash: "c0ffee".into(),
        language: "de".into(),
    };
    Session::start(config, visit, now, random(7))
}

/// Distinct bytes, as a browser's random source gives them.
fn random(seed: u8) -> [u8; 32] {
    std::array::from_fn(|i| seed.wrapping_mul(37).wrapping_add(i as u8))
}

/// The `Cookie` header a browser sends after the last assignment of `effects`.
fn cookie_after(effects: &Effects) -> String {
    let set = effects
        .cookies
        .last()
        .expect("the consent cookie is set last");
    set.split(';').next().expect("name=value").to_owned()
}

#[test]
fn a_first_visit_is_asked_and_nothing_is_written() {
    let config = config_from(&config_json());
    let (session, effects) = start_with(&config, "", false, NOW);
    assert!(effects.prompt);
    assert!(effects.cookies.is_empty() && effects.record.is_none());
    assert!(session.consent().is_none() && session.consent_id().is_none());
}

#[test]
fn gpc_is_a_recorded_refusal_without_a_banner() {
    let config = config_from(&config_json());
    let (session, effects) = start_with(&config, "", true, NOW);
    assert!(!effects.prompt);
    let record = effects.record.expect("a record");
    assert_eq!(record.method, Method::Gpc);
    assert!(!record.withdrawal);
    assert!(record.categories.iter().all(|(_, given)| !given));
    assert!(effects.consent_mode);
    assert_eq!(
        effects.event, None,
        "announced by the page once it can listen"
    );
    assert!(
        session
            .consent()
            .expect("decided")
            .choice
            .refuses_everything()
    );

    let mut ignored = config_json();
    ignored["consent"]["respectGpc"] = json!(false);
    let (_, effects) = start_with(&config_from(&ignored), "", true, NOW);
    assert!(effects.prompt && effects.record.is_none());
}

#[test]
fn decisions_write_the_cookie_record_and_event() {
    let config = config_from(&config_json());
    let (mut session, _) = start_with(&config, "", false, NOW);
    let effects = session.decide(
        &config,
        Choice::all(&config),
        Method::AcceptAll,
        NOW,
        random(1),
    );
    assert_eq!(effects.event, Some(Event::Consent));
    assert!(effects.consent_mode && !effects.reload && !effects.prompt);
    let record = effects.record.as_ref().expect("record");
    assert_eq!(record.method, Method::AcceptAll);
    assert_eq!(record.consent_id, session.consent_id().expect("id"));
    assert_ne!(record.record_id, record.consent_id);
    assert_eq!(record.revision, revision(&config));
    assert_eq!(record.config_hash, "c0ffee");
    assert_eq!(record.language, "de");
    assert_eq!(record.timestamp, NOW);
    assert_eq!(record.expires_at, NOW + 180 * DAY);
    assert_eq!(
        record.categories,
        [("analytics".into(), true), ("media".into(), true)],
        "necessary categories are not decided on"
    );
    assert_eq!(
        record.services,
        [("matomo".into(), true), ("video".into(), true)]
    );
    // The cookie: deletions of every other variant first, then the value with its attributes.
    let set = effects.cookies.last().expect("set");
    assert!(
        set.ends_with(&format!(
            "; Path=/; Max-Age={}; SameSite=Lax; Secure",
            180 * DAY
        )),
        "{set}"
    );
    assert!(
        effects.cookies[..effects.cookies.len() - 1]
            .iter()
            .all(|c| c.starts_with("kd_consent=; Max-Age=0"))
    );
    assert!(
        effects
            .cookies
            .iter()
            .any(|c| c.ends_with("; Domain=musterstadt.test"))
    );
}

#[test]
fn a_change_that_refuses_something_given_is_a_withdrawal() {
    let mut value = config_json();
    value["consent"]["reloadOnWithdrawal"] = json!(true);
    let config = config_from(&value);
    let (mut session, _) = start_with(&config, "", false, NOW);
    let id = {
        session.decide(
            &config,
            Choice::all(&config),
            Method::AcceptAll,
            NOW,
            random(1),
        );
        session.consent_id().expect("id").to_owned()
    };
    let only_video = Choice::from_names(&config, [], ["video"]);
    let effects = session.decide(&config, only_video, Method::Custom, NOW + 10, random(2));
    assert_eq!(
        effects.event,
        Some(Event::Change {
            method: Method::Custom,
            categories: vec!["analytics".into()],
            services: vec!["matomo".into()],
            withdrawal: true,
        })
    );
    assert!(effects.reload);
    let record = effects.record.expect("record");
    assert!(record.withdrawal);
    assert_eq!(record.consent_id, id, "one consent id per browser");
    let more = Choice::all(&config);
    let effects = session.decide(&config, more, Method::AcceptAll, NOW + 20, random(3));
    assert!(!effects.reload && !effects.record.expect("record").withdrawal);
}

#[test]
fn a_returning_visitor_keeps_the_decision_until_it_expires() {
    let config = config_from(&config_json());
    let (mut session, _) = start_with(&config, "", false, NOW);
    let effects = session.decide(
        &config,
        Choice::all(&config),
        Method::AcceptAll,
        NOW,
        random(1),
    );
    let cookies = cookie_after(&effects);
    let (again, effects) = start_with(&config, &cookies, false, NOW + 179 * DAY);
    assert!(!effects.prompt && effects.record.is_none() && effects.cookies.is_empty());
    assert_eq!(again.consent(), session.consent());
    let (lapsed, effects) = start_with(&config, &cookies, false, NOW + 180 * DAY);
    assert!(effects.prompt);
    assert_eq!(
        lapsed.consent_id(),
        session.consent_id(),
        "the id outlives the decision"
    );
}

#[test]
fn consent_expiry_is_configurable_up_to_13_months() {
    let mut value = config_json();
    value["consent"]["expiresAfterDays"] = json!(395);
    let config = config_from(&value);
    let (mut session, _) = start_with(&config, "", false, NOW);
    let effects = session.decide(
        &config,
        Choice::all(&config),
        Method::AcceptAll,
        NOW,
        random(1),
    );
    assert_eq!(effects.record.expect("record").expires_at, NOW + 395 * DAY);
    value["consent"]["expiresAfterDays"] = json!(396);
    assert!(Config::from_json(&value.to_string()).is_err());
}

/// The three ways a config can change under a stored decision.
fn changed_wording(value: &mut Value) {
    value["categories"]["analytics"]["services"]["matomo"]["purpose"] = json!("Reichweite");
}

fn new_service(value: &mut Value) {
    value["categories"]["analytics"]["services"]["plausible"] =
        json!({ "provider": "P", "purpose": "Statistik" });
}

fn new_purpose(value: &mut Value) {
    value["categories"]["marketing"] = json!({ "services": {
        "ads": { "provider": "A", "purpose": "Werbung" } } });
}

#[test]
fn a_refusal_stands_across_wording_changes_for_its_period_but_new_purposes_are_asked() {
    let mut value = config_json();
    value["consent"]["refusalExpiresAfterDays"] = json!(100);
    let config = config_from(&value);
    let (mut session, _) = start_with(&config, "", false, NOW);
    let effects = session.decide(&config, Choice::none(), Method::RejectAll, NOW, random(1));
    let refused = cookie_after(&effects);
    assert_eq!(
        effects.record.expect("record").expires_at,
        NOW + 100 * DAY,
        "a refusal lasts refusalExpiresAfterDays"
    );

    let mut reworded = value.clone();
    changed_wording(&mut reworded);
    let reworded = config_from(&reworded);
    assert_ne!(revision(&reworded), revision(&config));
    let (kept, effects) = start_with(&reworded, &refused, false, NOW + 99 * DAY);
    assert!(!effects.prompt, "not asked again for the same purposes");
    assert!(kept.consent().is_some());
    let (_, effects) = start_with(&reworded, &refused, false, NOW + 100 * DAY);
    assert!(effects.prompt, "asked again once the period is over");

    for change in [new_service, new_purpose] {
        let mut extended = value.clone();
        change(&mut extended);
        let (_, effects) = start_with(&config_from(&extended), &refused, false, NOW + DAY);
        assert!(effects.prompt, "new purposes and services are asked for");
    }
}

#[test]
fn a_consent_is_asked_again_when_anything_shown_changes() {
    let config = config_from(&config_json());
    let (mut session, _) = start_with(&config, "", false, NOW);
    let partial = Choice::from_names(&config, ["analytics"], []);
    let effects = session.decide(&config, partial, Method::Custom, NOW, random(1));
    let given = cookie_after(&effects);
    let mut reworded = config_json();
    changed_wording(&mut reworded);
    let (_, effects) = start_with(&config_from(&reworded), &given, false, NOW + DAY);
    assert!(effects.prompt);
}

#[test]
fn reset_erases_everything_and_records_the_end_of_the_decision() {
    let config = config_from(&config_json());
    let (mut session, _) = start_with(&config, "", false, NOW);
    session.decide(
        &config,
        Choice::all(&config),
        Method::AcceptAll,
        NOW,
        random(1),
    );
    let id = session.consent_id().expect("id").to_owned();
    let effects = session.reset(&config, NOW + 5, random(4));
    assert!(effects.erase && effects.prompt && effects.consent_mode);
    assert!(cookie_after(&effects).ends_with("kd_consent="));
    assert!(effects.cookies.last().expect("set").contains("Max-Age=0"));
    let record = effects.record.expect("record");
    assert_eq!(record.method, Method::Reset);
    assert!(record.withdrawal);
    assert_eq!(record.consent_id, id);
    assert_eq!(record.expires_at, NOW + 5);
    assert!(session.consent().is_none() && session.consent_id().is_none());
    let effects = session.decide(
        &config,
        Choice::none(),
        Method::RejectAll,
        NOW + 6,
        random(9),
    );
    assert_ne!(
        effects.record.expect("record").consent_id,
        id,
        "a new consent id after reset"
    );
    // Nothing in force: erased, but nothing to record.
    let (mut fresh, _) = start_with(&config, "", false, NOW);
    assert_eq!(fresh.reset(&config, NOW, random(0)).record, None);
}

#[test]
fn the_cookie_is_host_only_or_on_the_configured_domain() {
    let mut value = config_json();
    value["consent"]["domain"] = json!("musterstadt.test");
    let config = config_from(&value);
    let visit = Visit {
        site: Site {
            host: "service.musterstadt.test".into(),
            secure: false,
        },
        cookie_header: "",
        gpc: false,
        config_hash: String::new(),
        language: "en".into(),
    };
    let (mut session, _) = Session::start(&config, visit, NOW, random(0));
    let effects = session.decide(&config, Choice::none(), Method::RejectAll, NOW, random(1));
    let set = effects.cookies.last().expect("set");
    assert!(
        set.ends_with("; SameSite=Lax; Domain=musterstadt.test"),
        "{set}"
    );
    assert!(
        effects
            .cookies
            .iter()
            .any(|c| c == "kd_consent=; Max-Age=0; Path=/"),
        "the host-only variant is removed"
    );
    let value = set.split(';').next().expect("pair");
    assert!(cookie::read(value, "kd_consent").is_some());
}

#[test]
fn programmatic_choices_name_unknown_categories_and_services() {
    let config = config_from(&config_json());
    let (mut session, _) = start_with(&config, "", false, NOW);
    let all = Session::categories_choice(&config, None).expect("all");
    assert_eq!(all, Choice::all(&config));
    let names = vec!["analytics".to_owned()];
    let analytics = Session::categories_choice(&config, Some(&names)).expect("known");
    assert_eq!(analytics.services(), ["matomo"]);
    assert_eq!(
        Session::categories_choice(&config, Some(&["ads".to_owned()])),
        Err("unknown category `ads`".to_owned())
    );
    session.decide(&config, analytics, Method::Custom, NOW, random(1));
    let with_video = session
        .services_choice(&config, "media", &["video".to_owned()])
        .expect("known");
    assert_eq!(with_video.services(), ["matomo", "video"], "others stay");
    assert_eq!(
        session.services_choice(&config, "media", &["matomo".to_owned()]),
        Err("no service `matomo` in category `media`".to_owned())
    );
    assert_eq!(
        session.allowing(&config, "media", None).categories(),
        ["analytics", "media"]
    );
}
