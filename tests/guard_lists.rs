//! The JavaScript fallback (`pkg-config/fail-closed.js`), which guards the page when the wasm
//! module cannot start, stops the resource URLs the Rust guard screens (`GUARDED` in
//! `src/web/guard.rs`): the two lists are the same, row for row. The end-to-end test
//! `tests/e2e/guard-routes.test.mjs` tries every route against both.

/// The rows of the table that follows `start` in `source`: `("a", "b", "c"),` or
/// `["a", "b", "c"],`, one per line, up to the first line that is not a row.
fn rows(source: &str, start: &str) -> Vec<Vec<String>> {
    let (_, table) = source
        .split_once(start)
        .unwrap_or_else(|| panic!("{start} not found"));
    table
        .lines()
        .skip(1)
        .map(str::trim)
        .map_while(|line| {
            let inner = line
                .strip_prefix(['(', '['])?
                .strip_suffix(',')?
                .strip_suffix([')', ']'])?;
            Some(
                inner
                    .split(", ")
                    .map(|cell| cell.trim_matches('"').to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_fallback_stops_the_resource_urls_the_guard_screens() {
    let guard = rows(include_str!("../src/web/guard.rs"), "pub const GUARDED");
    let fallback = rows(
        include_str!("../pkg-config/fail-closed.js"),
        "for (const [type, tag, property] of [",
    );
    assert!(guard.len() >= 18, "{guard:?}");
    assert!(guard.iter().all(|row| row.len() == 3), "{guard:?}");
    assert_eq!(guard, fallback);
}
