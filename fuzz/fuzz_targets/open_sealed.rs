//! The envelope opener past decryption. Each input seals a submission of its own — fields and
//! files of any size, or an arbitrary inner plaintext — to the demo key in chunks of 4 or 8 KiB
//! (so a few KiB already make several chunks), then damages it: bit flips, cut-offs, inserted
//! bytes, chunks dropped, swapped or repeated. An intact envelope opens to what was sealed; a
//! damaged one never opens; an arbitrary inner plaintext opens only when it is a valid one.
#![no_main]

use std::sync::LazyLock;

use keksdose::seal::envelope::{self, FileEntry, SealError, Sealer};
use keksdose::seal::keys::{PublicKey, SecretKey};
use keksdose::strings::hex;
use keksdose_fuzz::{SMALL_CHUNK, SplitMix, header};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

static KEYS: LazyLock<(SecretKey, PublicKey)> = LazyLock::new(keksdose_fuzz::demo_keys);

#[derive(Debug, Arbitrary)]
struct Input {
    content: Content,
    /// 4 KiB chunks when even, 8 KiB when odd.
    chunk: u8,
    seed: u64,
    damage: Vec<Damage>,
}

#[derive(Debug, Arbitrary)]
enum Content {
    /// A submission as a browser seals it; `filler` adds a file of that many bytes (up to
    /// 64 KiB) so that envelopes of many chunks are common.
    Submission {
        fields: Vec<(String, String)>,
        files: Vec<Vec<u8>>,
        filler: u16,
    },
    /// Any inner plaintext, sealed as it is: the manifest length is taken from `manifest`
    /// unless `length` overrides it; `padding` zero bytes follow the body.
    Inner {
        length: Option<u32>,
        manifest: String,
        body: Vec<u8>,
        padding: u16,
    },
}

#[derive(Debug, Arbitrary)]
enum Damage {
    Flip { at: u32, bit: u8 },
    Cut { len: u32 },
    Insert { at: u32, bytes: Vec<u8> },
    DropChunk { index: u8 },
    SwapChunks { a: u8, b: u8 },
    RepeatChunk { index: u8 },
}

fn file_entry(index: usize, bytes: &[u8]) -> FileEntry {
    FileEntry {
        field: "anhang".into(),
        name: format!("file-{index}.bin"),
        media_type: "application/octet-stream".into(),
        size: bytes.len() as u64,
        sha256: hex(&Sha256::digest(bytes)),
    }
}

/// Seals `inner` as it is, without the sealer's own manifest.
fn seal_inner(public: &PublicKey, chunk_size: u32, inner: &[u8], seed: u64) -> Vec<u8> {
    let header = header(public, chunk_size);
    let (mut envelope, mut sealer) =
        Sealer::start_with_rng(public, &header, inner.len() as u64, &mut SplitMix(seed))
            .expect("sealer starts");
    let mut chunks = Vec::new();
    sealer.update(inner, &mut chunks).expect("announced length");
    chunks.push(sealer.finish().expect("announced length"));
    for chunk in chunks {
        envelope.extend_from_slice(&chunk);
    }
    envelope
}

/// Applies `damage` to the envelope whose ciphertext chunks start at `body` and are `full`
/// bytes long (the last one shorter).
fn damage(envelope: &mut Vec<u8>, body: usize, full: usize, damage: &Damage) {
    let chunks = |envelope: &Vec<u8>| -> Vec<std::ops::Range<usize>> {
        (body..envelope.len())
            .step_by(full)
            .map(|start| start..(start + full).min(envelope.len()))
            .collect()
    };
    let pick = |envelope: &Vec<u8>, index: u8| {
        let all = chunks(envelope);
        (!all.is_empty()).then(|| all[usize::from(index) % all.len()].clone())
    };
    match damage {
        Damage::Flip { at, bit } => {
            if !envelope.is_empty() {
                let at = *at as usize % envelope.len();
                envelope[at] ^= 1 << (bit % 8);
            }
        }
        Damage::Cut { len } => envelope.truncate(*len as usize % (envelope.len() + 1)),
        Damage::Insert { at, bytes } => {
            let at = *at as usize % (envelope.len() + 1);
            envelope.splice(at..at, bytes.iter().copied());
        }
        Damage::DropChunk { index } => {
            if let Some(range) = pick(envelope, *index) {
                envelope.drain(range);
            }
        }
        Damage::SwapChunks { a, b } => {
            let all = chunks(envelope);
            if all.len() >= 2 {
                let (a, b) = (usize::from(*a) % all.len(), usize::from(*b) % all.len());
                let mut reordered: Vec<u8> = envelope[..body].to_vec();
                for (i, _) in all.iter().enumerate() {
                    let from = if i == a {
                        b
                    } else if i == b {
                        a
                    } else {
                        i
                    };
                    reordered.extend_from_slice(&envelope[all[from].clone()]);
                }
                *envelope = reordered;
            }
        }
        Damage::RepeatChunk { index } => {
            if let Some(range) = pick(envelope, *index) {
                let copy = envelope[range.clone()].to_vec();
                envelope.splice(range.end..range.end, copy);
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let (secret, public) = &*KEYS;
    let chunk_size = SMALL_CHUNK << (input.chunk & 1);
    let header_len = header(public, chunk_size).encode().len();
    let (sealed, expected) = match &input.content {
        Content::Submission {
            fields,
            files,
            filler,
        } => {
            let mut all = files.clone();
            if *filler > 0 {
                all.push(vec![0x5a; usize::from(*filler)]);
            }
            let entries: Vec<(FileEntry, Vec<u8>)> = all
                .into_iter()
                .enumerate()
                .map(|(i, bytes)| (file_entry(i, &bytes), bytes))
                .collect();
            let borrowed = entries
                .iter()
                .map(|(entry, bytes)| (entry.clone(), bytes.as_slice()))
                .collect();
            match keksdose_fuzz::seal(
                public,
                &header(public, chunk_size),
                fields.clone(),
                borrowed,
                input.seed,
            ) {
                Ok(sealed) => (sealed, Some((fields.clone(), entries))),
                // Only what the format cannot carry is refused.
                Err(error) => {
                    assert!(matches!(error, SealError::TooLarge(_)), "{error:?}");
                    return;
                }
            }
        }
        Content::Inner {
            length,
            manifest,
            body,
            padding,
        } => {
            let length = length.unwrap_or(manifest.len() as u32);
            let mut inner = length.to_be_bytes().to_vec();
            inner.extend_from_slice(manifest.as_bytes());
            inner.extend_from_slice(body);
            inner.resize(inner.len() + usize::from(*padding), 0);
            (seal_inner(public, chunk_size, &inner, input.seed), None)
        }
    };
    let full = chunk_size as usize + 17;
    let mut envelope = sealed.clone();
    for step in &input.damage {
        damage(&mut envelope, header_len + 32, full, step);
    }
    let opened = envelope::open(secret, &envelope);
    if envelope != sealed {
        assert!(
            opened.is_err(),
            "a damaged envelope opened: {:?}",
            input.damage
        );
        return;
    }
    match (opened, expected) {
        (Ok(opened), Some((fields, files))) => {
            assert_eq!(opened.manifest.fields, fields);
            assert_eq!(opened.files.len(), files.len());
            for ((entry, bytes), (opened_entry, opened_bytes)) in files
                .iter()
                .zip(opened.manifest.files.iter().zip(&opened.files))
            {
                assert_eq!(entry, opened_entry);
                assert_eq!(bytes, opened_bytes);
            }
        }
        (Err(error), Some(_)) => panic!("an intact envelope did not open: {error:?}"),
        (Ok(opened), None) => {
            for (entry, file) in opened.manifest.files.iter().zip(&opened.files) {
                assert_eq!(entry.size, file.len() as u64);
                assert_eq!(entry.sha256, hex(&Sha256::digest(file)));
            }
        }
        (Err(error), None) => assert!(matches!(error, SealError::Content(_)), "{error:?}"),
    }
});
