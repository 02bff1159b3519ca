//! Name patterns of the config: cookie and storage globs, host patterns. A leaf: the config's
//! validation and the consent policy both match with these.

use crate::strings::find;

/// Whether `host` matches a `hosts` entry: `example.org` exactly, `*.example.org` any subdomain.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => pattern == host,
    }
}

/// Whether `name` matches `glob`, where `*` matches any run of characters (also none).
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let mut parts = glob.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts = crate::collect(parts);
    let Some((last, middle)) = parts.split_last() else {
        // No `*` at all: the whole name must equal the glob.
        return rest.is_empty();
    };
    for part in middle {
        match find(rest, part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns() {
        assert!(host_matches("stats.example", "stats.example"));
        assert!(!host_matches("stats.example", "x.stats.example"));
        assert!(host_matches("*.example", "a.example"));
        assert!(host_matches("*.example", "a.b.example"));
        assert!(!host_matches("*.example", "example"));
        assert!(!host_matches("*.example", "badexample"));
        assert!(!host_matches("*.example", "a.example.evil"));
    }

    #[test]
    fn glob_table() {
        for (glob, name, expected) in [
            ("_ga", "_ga", true),
            ("_ga", "_gat", false),
            ("_ga*", "_ga", true),
            ("_ga*", "_ga_XYZ", true),
            ("_ga*", "x_ga", false),
            ("*_id", "_pk_id", true),
            ("*_id", "_pk_idx", false),
            ("_pk_*.*", "_pk_id.1.abcd", true),
            ("_pk_*.*", "_pk_id", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("ab*ba", "aba", false),
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "x", false),
        ] {
            assert_eq!(glob_matches(glob, name), expected, "{glob} vs {name}");
        }
    }
}
