//! Padmé padding (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
//! Communication with PURBs", PETS 2019): the size of a sealed submission reveals at most
//! O(log log n) bits about the size of what was typed, and nothing below 4 KiB.

/// Smallest padded size of a submission's inner plaintext.
pub const FLOOR: u64 = 4096;

/// Padmé(len): `len` rounded up so that only the top bits of its length remain.
pub fn padme(len: u64) -> u64 {
    if len < 2 {
        return len;
    }
    // E = floor(log2 L); S = floor(log2 E) + 1; the last E - S bits are rounded up.
    let exponent = u64::from(63 - len.leading_zeros());
    let significant = u64::from(64 - exponent.leading_zeros());
    let mask = (1u64 << (exponent - significant)) - 1;
    (len + mask) & !mask
}

/// The padded size of an inner plaintext of `len` bytes: max(4 KiB, Padmé(len)).
pub fn padded_len(len: u64) -> u64 {
    padme(len).max(FLOOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_matches_the_paper() {
        // Values worked by hand from the definition.
        for (len, padded) in [
            (0, 0),
            (1, 1),
            (2, 2),
            (7, 7),
            (8, 8),
            (9, 10),
            (100, 104),
            (4097, 4352),
            (1_000_000, 1_015_808),
            (26_214_400, 26_214_400),
            (26_214_401, 26_738_688),
        ] {
            assert_eq!(padme(len), padded, "padme({len})");
        }
    }

    #[test]
    fn padding_never_shrinks_and_stays_within_twelve_percent() {
        for len in (1..200_000u64)
            .step_by(997)
            .chain([1 << 20, 25 << 20, (1 << 32) + 3])
        {
            let padded = padme(len);
            assert!(padded >= len);
            assert!(padded - len <= len / 8 + 1, "{len} -> {padded}");
        }
    }

    #[test]
    fn small_submissions_all_look_the_same() {
        assert_eq!(padded_len(1), 4096);
        assert_eq!(padded_len(4096), 4096);
        assert_eq!(padded_len(4097), 4352);
    }
}
