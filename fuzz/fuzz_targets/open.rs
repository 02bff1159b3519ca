//! The envelope opener on raw bytes, with the demo key (the seeds are envelopes of one and of
//! several chunks sealed to it): never a panic; what opens has files of the sizes and digests
//! its manifest names.
#![no_main]

use std::sync::LazyLock;

use keksdose::seal::envelope;
use keksdose::seal::keys::SecretKey;
use keksdose::strings::hex;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

static KEY: LazyLock<SecretKey> = LazyLock::new(|| keksdose_fuzz::demo_keys().0);

fuzz_target!(|bytes: &[u8]| {
    if let Ok(opened) = envelope::open(&KEY, bytes) {
        assert_eq!(opened.files.len(), opened.manifest.files.len());
        for (entry, file) in opened.manifest.files.iter().zip(&opened.files) {
            assert_eq!(entry.size, file.len() as u64);
            assert_eq!(entry.sha256, hex(&Sha256::digest(file)));
        }
    }
});
