//! What page code and the browser hand the consent layer: strings assigned to
//! `document.cookie`, marked elements' attributes, storage keys, hosts, and the times in stored
//! records. The deletion written for an assignment reaches the same cookie; globs match as a
//! plain backtracking matcher does; times read back as written.
#![no_main]

use std::sync::LazyLock;

use keksdose::config::Config;
use keksdose::consent::policy::{CookieAssignment, Gate, Policy};
use keksdose::pattern::{glob_matches, host_matches};
use keksdose::strings::{parse_utc, utc};
use libfuzzer_sys::fuzz_target;

static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    Config::from_json(include_str!("../../www/keksdose.json")).expect("the demo config is valid")
});

/// One input, a line each: the assignment, `data-category`, `data-service` (none when
/// empty), a glob and a name (also read as a host, a storage key and a time).
struct Input<'a> {
    assignment: &'a str,
    category: &'a str,
    service: Option<&'a str>,
    glob: &'a str,
    name: &'a str,
}

impl<'a> Input<'a> {
    fn read(text: &'a str) -> Input<'a> {
        let mut lines = text.split('\n');
        let mut line = || lines.next().unwrap_or_default();
        Input {
            assignment: line(),
            category: line(),
            service: Some(line()).filter(|s| !s.is_empty()),
            glob: line(),
            name: line(),
        }
    }
}

/// `*` matches any run of characters: the obvious recursive definition, on characters.
fn reference_glob(glob: &[char], name: &[char]) -> bool {
    match glob.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|skip| reference_glob(rest, &name[skip..])),
        Some((c, rest)) => name.first() == Some(c) && reference_glob(rest, &name[1..]),
    }
}

fuzz_target!(|text: &str| {
    let input = Input::read(text);
    let assignment = CookieAssignment::parse(input.assignment);
    let deletion = assignment.deletion();
    let reread = CookieAssignment::parse(&deletion);
    assert_eq!(
        (reread.name, reread.path, reread.domain),
        (assignment.name, assignment.path, assignment.domain),
        "{deletion}"
    );
    assert_eq!(
        (reread.secure, reread.partitioned),
        (assignment.secure, assignment.partitioned)
    );
    assert!(reread.deletes(|_| false), "{deletion}");

    let policy = Policy::new(&CONFIG, None);
    let gate = Gate::parse(input.category, input.service);
    let _ = (policy.gate_open(&gate), policy.names_known(&gate));
    let _ = policy.cookie_write_allowed(assignment.name);
    let _ = policy.storage_write_allowed(input.name);
    let _ = (
        policy.host_allowed(input.name),
        host_matches(input.glob, input.name),
    );

    // Bounded, so that the reference matcher's backtracking stays cheap.
    if input.glob.len() <= 64 && input.name.len() <= 64 && input.glob.matches('*').count() <= 4 {
        let glob: Vec<char> = input.glob.chars().collect();
        let name: Vec<char> = input.name.chars().collect();
        assert_eq!(
            glob_matches(input.glob, input.name),
            reference_glob(&glob, &name),
            "{:?} vs {:?}",
            input.glob,
            input.name
        );
    }

    if let Some(seconds) = parse_utc(input.name) {
        assert_eq!(utc(seconds), input.name);
    }
    // Any time up to the end of year 9999.
    let seconds = text
        .bytes()
        .fold(0u64, |n, b| n.wrapping_mul(131).wrapping_add(u64::from(b)))
        % 253_402_300_800;
    assert_eq!(parse_utc(&utc(seconds)), Some(seconds));
});
