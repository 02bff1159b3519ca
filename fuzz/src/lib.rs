//! What the fuzz targets share: the fixed key that opens what they seal, a deterministic
//! randomness source for sealing, small-chunk headers, and a JSON writer for round trips.

use keksdose::json::Value;
use keksdose::seal::envelope::{self, Header, SealError};
use keksdose::seal::keyfile;
use keksdose::seal::keys::{PublicKey, SecretKey};
use rand_core::{Infallible, TryCryptoRng, TryRng};

/// The demo site's key file (public in this repository): the key the envelope targets open with.
const DEMO_KEY_FILE: &str = include_str!("../../tests/fixtures/demo-secret.key");

/// The smallest chunk size a header may name: a few KiB of content already make several chunks.
pub const SMALL_CHUNK: u32 = 4096;

/// The demo secret key and its public half.
pub fn demo_keys() -> (SecretKey, PublicKey) {
    let secret = keyfile::from_text(DEMO_KEY_FILE, None).expect("the demo key file reads");
    let public = envelope::public_key(&secret).expect("the demo key is usable");
    (secret, public)
}

/// A header for a submission to `public` with chunks of `chunk_size` bytes.
pub fn header(public: &PublicKey, chunk_size: u32) -> Header {
    let mut header = Header::new(
        public,
        [7; 16],
        1_764_000_000,
        "musterstadt",
        "contact",
        "https://www.musterstadt.de",
    )
    .expect("a valid header");
    header.chunk_size = chunk_size;
    header
}

/// Seals a submission to `public` with the ephemeral key drawn from `seed`.
pub fn seal(
    public: &PublicKey,
    header: &Header,
    fields: Vec<(String, String)>,
    files: Vec<(envelope::FileEntry, &[u8])>,
    seed: u64,
) -> Result<Vec<u8>, SealError> {
    envelope::seal_with_rng(public, header, fields, files, &mut SplitMix(seed))
}

/// SplitMix64: deterministic "randomness", so that a crashing input reproduces.
pub struct SplitMix(pub u64);

impl TryRng for SplitMix {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|n| (n >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for SplitMix {}

/// `value` as JSON text, for the reader's round trip: keys in order, repeats kept, numbers as
/// they were written, every string escaped the way RFC 8259 allows.
pub fn write_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(text) => out.push_str(text),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                out.push(char::from(
                    b"0123456789abcdef"[(u32::from(c) >> 4) as usize],
                ));
                out.push(char::from(
                    b"0123456789abcdef"[(u32::from(c) & 15) as usize],
                ));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
