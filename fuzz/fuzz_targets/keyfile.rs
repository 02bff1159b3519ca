//! The key-file reader with the passphrase `fuzz` (a seed is a key file protected by it at a
//! cheap cost). Costs between cheap and refused are skipped: computing Argon2id with up to
//! 4 GiB is what the reader is for, and would only stall the fuzzer.
#![no_main]

use keksdose::seal::keyfile;
use libfuzzer_sys::fuzz_target;

/// Memory (KiB) and passes computed at most; anything above the reader's own limits is run too.
const CHEAP_MEMORY_KIB: u64 = 64;
const CHEAP_PASSES: u64 = 2;

/// Whether reading `text` would compute Argon2id at more than the cheap cost, yet below the
/// limits the reader refuses. Mirrors the file format: the first line that is neither empty
/// nor a comment, fields separated by `.`.
fn costly(text: &str) -> bool {
    let line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .unwrap_or_default();
    let fields: Vec<&str> = line.split('.').collect();
    let [_, memory, passes, lanes, ..] = fields.as_slice() else {
        return false;
    };
    let (Ok(memory), Ok(passes), Ok(lanes)) = (
        memory.parse::<u64>(),
        passes.parse::<u64>(),
        lanes.parse::<u64>(),
    ) else {
        return false;
    };
    let refused = memory > 4 * 1024 * 1024 || passes > 100 || lanes > 64;
    !refused && (memory > CHEAP_MEMORY_KIB || passes > CHEAP_PASSES)
}

fuzz_target!(|text: &str| {
    if costly(text) {
        return;
    }
    let protected = keyfile::is_protected(text);
    if let Ok(key) = keyfile::from_text(text, Some("fuzz")) {
        // Without a passphrase only an unprotected file reads, and as the same key.
        match keyfile::from_text(text, None) {
            Ok(same) => assert_eq!(same.to_text(), key.to_text()),
            Err(_) => assert!(protected),
        }
    }
});
