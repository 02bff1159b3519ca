//! The tenant rule, the one place that defines it: config validation, consent records, the
//! envelope header, the collector and the CLI all check tenants with [`is_valid`]; the PHP
//! drop-in's `is_label` (`php/keksdose.php`) is the same regular expression.
//!
//! A tenant is a lower-case DNS label, so that it can also name a subdomain, a directory and a
//! URL path segment: 1 to 63 characters `a`–`z`, `0`–`9` and `-`, not starting or ending with
//! `-`; as a regular expression `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`.

/// The longest tenant, in bytes.
pub const MAX_LEN: usize = 63;

/// The rule in words, for error messages.
pub const RULE: &str = "1–63 characters a–z, 0–9 and inner hyphens";

/// Whether `name` is a valid tenant (a lower-case DNS label; see the module documentation).
pub fn is_valid(name: &str) -> bool {
    (1..=MAX_LEN).contains(&name.len())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_are_lower_case_dns_labels() {
        for good in ["musterstadt", "a", "0", "kreis-7", "a1-b2", &"x".repeat(63)] {
            assert!(is_valid(good), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "-",
            "Musterstadt",
            "muster_stadt",
            "muster.stadt",
            "müster",
            "a b",
            &"x".repeat(64),
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
