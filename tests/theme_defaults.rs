//! `keksdose.css` takes each colour from the theme's custom property
//! (`var(--kd-theme-light-text, #1b1b1b)`) with its default after it; the contrast check of
//! `banner.theme` measures against the same defaults, written in Rust as `DEFAULT_COLOURS`: the
//! two are the same, colour for colour.

use keksdose::config::{COLOURS, DEFAULT_COLOURS, THEME_SCHEMES};

/// Every `var(--kd-theme-<scheme>-<name>, <default>)` of the stylesheet, in order.
fn theme_vars(css: &str) -> Vec<(String, String, String)> {
    css.split("var(--kd-theme-")
        .skip(1)
        .map(|rest| {
            let (inside, _) = rest.split_once(')').expect("closed var()");
            let (property, default) = inside.split_once(", ").expect("a default");
            let (scheme, name) = property.split_once('-').expect("scheme-name");
            (scheme.to_owned(), name.to_owned(), default.to_owned())
        })
        .collect()
}

/// `#rgb` or `#rrggbb` as `0xRRGGBB`.
fn colour(hex: &str) -> u32 {
    let digits = hex.strip_prefix('#').expect("a hex colour");
    let digits: String = match digits.len() {
        3 => digits.chars().flat_map(|c| [c, c]).collect(),
        6 => digits.to_owned(),
        _ => panic!("{hex}"),
    };
    u32::from_str_radix(&digits, 16).expect("hex digits")
}

#[test]
fn the_stylesheets_default_colours_are_the_ones_the_contrast_check_measures() {
    let vars = theme_vars(include_str!("../pkg-config/keksdose.css"));
    for (s, scheme) in THEME_SCHEMES.iter().enumerate() {
        for (i, name) in COLOURS.iter().enumerate() {
            let defaults: Vec<u32> = vars
                .iter()
                .filter(|(sch, n, _)| sch == scheme && n == name)
                .map(|(_, _, default)| colour(default))
                .collect();
            // The dark colours are written twice: by the config's scheme and by the visitor's.
            let times = if *scheme == "light" { 1 } else { 2 };
            assert_eq!(
                defaults,
                vec![DEFAULT_COLOURS[s][i]; times],
                "--kd-theme-{scheme}-{name}"
            );
        }
    }
    assert_eq!(
        vars.len(),
        3 * COLOURS.len(),
        "no other theme property: {vars:?}"
    );
}
