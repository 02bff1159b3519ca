//! The seal format: the official RFC 9180 test vector for our suite, single-shot equivalence,
//! and every way of breaking an envelope.
#![cfg(feature = "seal")]

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use keksdose::seal::envelope::{
    self, CHUNK_SIZE, FileEntry, Header, Manifest, SealError, Sealer, chunks_well_formed,
    max_envelope_len,
};
use keksdose::seal::keys::{PublicKey, SecretKey};
use keksdose::seal::padding::padded_len;
use keksdose::strings::hex;
use rand_core::{Infallible, TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

type Kem = X25519HkdfSha256;

/// An "RNG" that hands out given bytes: reproduces the vector's ephemeral key from seedE.
struct Replay(Vec<u8>);

impl TryRng for Replay {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Infallible> {
        assert!(self.0.len() >= dest.len(), "replay ran out of bytes");
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}

impl TryCryptoRng for Replay {}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The vector file: `key = value` lines; `# encryptions[i]` and `# exports[i]` open blocks.
struct Vector {
    fields: Vec<(String, String)>,
    encryptions: Vec<[Vec<u8>; 3]>,
    exports: Vec<(Vec<u8>, usize, Vec<u8>)>,
}

fn read_vector(path: &str) -> Vector {
    let text = std::fs::read_to_string(path).expect("vector file");
    let mut vector = Vector {
        fields: Vec::new(),
        encryptions: Vec::new(),
        exports: Vec::new(),
    };
    let mut block: Vec<(String, String)> = Vec::new();
    let flush = |block: &mut Vec<(String, String)>, vector: &mut Vector| {
        let get = |k: &str| &block.iter().find(|(key, _)| key == k).expect(k).1;
        if block.iter().any(|(k, _)| k == "ct") {
            vector
                .encryptions
                .push([unhex(get("aad")), unhex(get("ct")), unhex(get("pt"))]);
        } else if block.iter().any(|(k, _)| k == "exported_value") {
            vector.exports.push((
                unhex(get("exporter_context")),
                get("L").parse().expect("L"),
                unhex(get("exported_value")),
            ));
        } else {
            vector.fields.append(block);
        }
        block.clear();
    };
    for line in text.lines() {
        if line.starts_with('#') {
            flush(&mut block, &mut vector);
        } else if let Some((key, value)) = line
            .split_once(" = ")
            .or_else(|| line.strip_suffix(" =").map(|key| (key, "")))
        {
            block.push((key.to_owned(), value.to_owned()));
        }
    }
    flush(&mut block, &mut vector);
    vector
}

impl Vector {
    fn get(&self, key: &str) -> &str {
        &self.fields.iter().find(|(k, _)| k == key).expect(key).1
    }
}

#[test]
fn rfc9180_test_vector_for_our_suite() {
    let vector = read_vector("tests/vectors/hpke-x25519-sha256-aes256gcm.txt");
    for (key, value) in [
        ("mode", "0"),
        ("kem_id", "32"),
        ("kdf_id", "1"),
        ("aead_id", "2"),
    ] {
        assert_eq!(vector.get(key), value, "{key}");
    }
    assert_eq!(vector.encryptions.len(), 16);
    assert_eq!(vector.exports.len(), 3);
    // Both key pairs: pk(sk) as X25519 computes it.
    for (sk, pk) in [("skRm", "pkRm"), ("skEm", "pkEm")] {
        let secret = <Kem as hpke::Kem>::PrivateKey::from_bytes(&unhex(vector.get(sk))).expect(sk);
        assert_eq!(
            Kem::sk_to_pk(&secret).to_bytes().to_vec(),
            unhex(vector.get(pk)),
            "{pk}"
        );
    }
    // Decapsulation and key schedule: the receiver opens every ciphertext in sequence.
    let secret =
        <Kem as hpke::Kem>::PrivateKey::from_bytes(&unhex(vector.get("skRm"))).expect("skRm");
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&unhex(vector.get("pkEm"))).expect("enc");
    let info = unhex(vector.get("info"));
    let mut receiver =
        hpke::setup_receiver::<AesGcm256, HkdfSha256, Kem>(&OpModeR::Base, &secret, &enc, &info)
            .expect("setup receiver");
    for (seq, [aad, ciphertext, plaintext]) in vector.encryptions.iter().enumerate() {
        assert_eq!(
            &receiver.open(ciphertext, aad).expect("open"),
            plaintext,
            "seq {seq}"
        );
    }
    for (context, len, value) in &vector.exports {
        let mut out = vec![0u8; *len];
        receiver.export(context, &mut out).expect("export");
        assert_eq!(&out, value);
    }
    // And a changed ciphertext fails.
    let mut receiver =
        hpke::setup_receiver::<AesGcm256, HkdfSha256, Kem>(&OpModeR::Base, &secret, &enc, &info)
            .expect("setup receiver");
    let [aad, ciphertext, _] = &vector.encryptions[0];
    let mut changed = ciphertext.clone();
    changed[0] ^= 1;
    assert!(receiver.open(&changed, aad).is_err());
}

/// The sender side with the seeded ephemeral key: what it seals, the receiver of the official
/// vector's keys opens.
#[test]
fn the_sender_interoperates_with_the_vectors_receiver() {
    let vector = read_vector("tests/vectors/hpke-x25519-sha256-aes256gcm.txt");
    let recipient =
        <Kem as hpke::Kem>::PublicKey::from_bytes(&unhex(vector.get("pkRm"))).expect("pkRm");
    let info = unhex(vector.get("info"));
    let (enc, mut sender) = hpke::setup_sender_with_rng::<AesGcm256, HkdfSha256, Kem>(
        &OpModeS::Base,
        &recipient,
        &info,
        &mut Replay(vec![3; 32]),
    )
    .expect("setup sender");
    let secret =
        <Kem as hpke::Kem>::PrivateKey::from_bytes(&unhex(vector.get("skRm"))).expect("skRm");
    let mut receiver =
        hpke::setup_receiver::<AesGcm256, HkdfSha256, Kem>(&OpModeR::Base, &secret, &enc, &info)
            .expect("setup receiver");
    for [aad, _, plaintext] in &vector.encryptions {
        let sealed = sender.seal(plaintext, aad).expect("seal");
        assert_eq!(&receiver.open(&sealed, aad).expect("open"), plaintext);
    }
}

fn keys() -> (SecretKey, PublicKey) {
    envelope::generate_with_rng(&mut Replay(vec![42; 32]))
}

fn header(public: &PublicKey) -> Header {
    Header::new(
        public,
        [7; 16],
        1_764_000_000,
        "musterstadt",
        "contact",
        "https://www.musterstadt.de",
    )
    .expect("header")
}

fn fields() -> Vec<(String, String)> {
    [
        ("anrede", "Frau"),
        ("name", "Müller"),
        ("nachricht", "Guten Tag,\nbitte rufen Sie mich an."),
        ("interesse", "a"),
        ("interesse", "b"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn file(name: &str, bytes: &[u8]) -> FileEntry {
    FileEntry {
        field: "anhang".into(),
        name: name.into(),
        media_type: "application/octet-stream".into(),
        size: bytes.len() as u64,
        sha256: hex(&Sha256::digest(bytes)),
    }
}

fn small_envelope() -> (SecretKey, Vec<u8>) {
    let (secret, public) = keys();
    let sealed = envelope::seal_with_rng(
        &public,
        &header(&public),
        fields(),
        vec![],
        &mut Replay(vec![1; 32]),
    )
    .expect("seal");
    (secret, sealed)
}

/// An envelope of several chunks: a 200 KiB attachment.
fn large_envelope() -> (SecretKey, Vec<u8>, Vec<u8>) {
    let (secret, public) = keys();
    let bytes: Vec<u8> = (0..200 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let sealed = envelope::seal(
        &public,
        &header(&public),
        fields(),
        vec![(file("scan.pdf", &bytes), &bytes)],
    )
    .expect("seal");
    (secret, sealed, bytes)
}

#[test]
fn seal_and_open_round_trip_with_attachments() {
    let (secret, sealed, bytes) = large_envelope();
    let opened = envelope::open(&secret, &sealed).expect("open");
    assert_eq!(opened.header.tenant, "musterstadt");
    assert_eq!(opened.header.form_id, "contact");
    assert_eq!(opened.manifest.fields, fields());
    assert_eq!(opened.manifest.files[0].name, "scan.pdf");
    assert_eq!(opened.files, vec![bytes]);
}

#[test]
fn one_chunk_is_a_plain_rfc9180_single_shot_ciphertext() {
    let (secret, sealed) = small_envelope();
    let (parsed, header_len) = Header::parse(&sealed).expect("header");
    let (enc, ciphertext) = sealed[header_len..].split_at(32);
    let mut info = b"keksdose seal v1\0".to_vec();
    info.extend_from_slice(&Sha256::digest(&sealed[..header_len]));
    let recipient = <Kem as hpke::Kem>::PrivateKey::from_bytes(
        &keksdose::base64::url_decode(&secret.to_text()[5..]).expect("key bytes"),
    )
    .expect("secret");
    let plaintext = hpke::single_shot_open::<AesGcm256, HkdfSha256, Kem>(
        &OpModeR::Base,
        &recipient,
        &<Kem as hpke::Kem>::EncappedKey::from_bytes(enc).expect("enc"),
        &info,
        ciphertext,
        &[],
    )
    .expect("single-shot open");
    assert_eq!(plaintext[0], 1, "final flag");
    assert_eq!(plaintext.len() - 1, 4096, "padded to the 4 KiB floor");
    let json_len = u32::from_be_bytes(plaintext[1..5].try_into().expect("len")) as usize;
    let manifest: Manifest = serde_json::from_slice(&plaintext[5..5 + json_len]).expect("json");
    assert_eq!(manifest.fields, fields());
    assert_eq!(parsed.submission_id, [7; 16]);
}

#[test]
fn every_single_byte_flip_is_rejected() {
    let (secret, sealed) = small_envelope();
    assert!(envelope::open(&secret, &sealed).is_ok());
    for i in 0..sealed.len() {
        let mut tampered = sealed.clone();
        tampered[i] ^= 0x01;
        assert!(
            envelope::open(&secret, &tampered).is_err(),
            "flip at byte {i} accepted"
        );
    }
}

#[test]
fn every_truncation_is_rejected() {
    let (secret, sealed) = small_envelope();
    for len in 0..sealed.len() {
        assert!(
            envelope::open(&secret, &sealed[..len]).is_err(),
            "cut at {len} accepted"
        );
    }
    let (secret, sealed, _) = large_envelope();
    let (_, header_len) = Header::parse(&sealed).expect("header");
    let full = CHUNK_SIZE as usize + 17;
    // Cut exactly after a complete chunk: every chunk left is authentic, the last is missing.
    let boundary = header_len + 32 + 2 * full;
    assert_eq!(
        envelope::open(&secret, &sealed[..boundary]),
        Err(SealError::Truncated)
    );
    assert_eq!(
        envelope::open(&secret, &sealed[..boundary + 100]),
        Err(SealError::Undecryptable)
    );
}

#[test]
fn chunks_cannot_be_reordered_dropped_repeated_or_extended() {
    let (secret, sealed, _) = large_envelope();
    let (_, header_len) = Header::parse(&sealed).expect("header");
    let full = CHUNK_SIZE as usize + 17;
    let start = header_len + 32;
    let chunk = |i: usize| &sealed[start + i * full..(start + (i + 1) * full).min(sealed.len())];
    let count = (sealed.len() - start).div_ceil(full);
    assert!(count >= 4, "{count} chunks");
    let assemble = |order: &[usize]| {
        let mut out = sealed[..start].to_vec();
        for &i in order {
            out.extend_from_slice(chunk(i));
        }
        out
    };
    let all: Vec<usize> = (0..count).collect();
    assert!(envelope::open(&secret, &assemble(&all)).is_ok());
    let mut swapped = all.clone();
    swapped.swap(1, 2);
    let mut dropped = all.clone();
    dropped.remove(1);
    let mut repeated = all.clone();
    repeated.insert(1, 1);
    for (what, order) in [
        ("swapped", swapped),
        ("dropped", dropped),
        ("repeated", repeated),
    ] {
        assert_eq!(
            envelope::open(&secret, &assemble(&order)),
            Err(SealError::Undecryptable),
            "{what}"
        );
    }
    let mut extended = sealed.clone();
    extended.extend_from_slice(chunk(1));
    assert!(envelope::open(&secret, &extended).is_err());
}

#[test]
fn the_wrong_key_is_named() {
    let (_, sealed) = small_envelope();
    let (other, other_public) = envelope::generate();
    let error = envelope::open(&other, &sealed).expect_err("wrong key");
    let SealError::WrongKey { envelope, key } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*key, other_public.kid());
    assert_eq!(*envelope, keys().1.kid());
    assert!(error.to_string().contains(&envelope.to_string()));
}

#[test]
fn headers_are_checked_before_any_decryption() {
    let (secret, sealed) = small_envelope();
    let mut bad_magic = sealed.clone();
    bad_magic[0] = b'X';
    let mut bad_version = sealed.clone();
    bad_version[6] = 2;
    let mut bad_suite = sealed.clone();
    bad_suite[12] = 1; // AES-128-GCM
    // The tenant (`musterstadt`, at byte 58) may not start or end with a hyphen: the rule of
    // `keksdose::tenant`, as in the config.
    let mut leading_hyphen = sealed.clone();
    leading_hyphen[58] = b'-';
    let mut trailing_hyphen = sealed.clone();
    trailing_hyphen[58 + 10] = b'-';
    // `created` (bytes 45..53) after 9999-12-31T23:59:59Z, which no RFC 3339 time can show.
    let mut far_future = sealed.clone();
    far_future[45..53].copy_from_slice(&u64::MAX.to_be_bytes());
    for (what, envelope) in [
        ("magic", bad_magic),
        ("version", bad_version),
        ("suite", bad_suite),
        ("leading hyphen", leading_hyphen),
        ("trailing hyphen", trailing_hyphen),
        ("created after the year 9999", far_future),
    ] {
        assert!(
            matches!(
                keksdose::seal::envelope::open(&secret, &envelope),
                Err(SealError::Malformed(_))
            ),
            "{what}"
        );
    }
    let (_, public) = keys();
    for (tenant, form, origin) in [
        ("Muster Stadt", "contact", "https://x"),
        ("-t", "contact", "https://x"),
        ("t-", "contact", "https://x"),
        ("t", "", "https://x"),
        ("t", "a/b", "https://x"),
        ("t", "contact", "https://x y"),
    ] {
        assert!(Header::new(&public, [0; 16], 0, tenant, form, origin).is_err());
    }
    let created = |seconds| Header::new(&public, [0; 16], seconds, "t", "f", "https://x");
    assert!(created(keksdose::strings::UTC_MAX).is_ok());
    assert!(created(keksdose::strings::UTC_MAX + 1).is_err());
}

/// Seals an inner plaintext as given, bypassing the manifest logic of `seal`: what a buggy or
/// hostile sender could produce.
fn seal_raw(inner: &[u8]) -> (SecretKey, Vec<u8>) {
    let (secret, public) = keys();
    let (mut out, mut sealer) =
        Sealer::start(&public, &header(&public), inner.len() as u64).expect("start");
    let mut chunks = Vec::new();
    sealer.update(inner, &mut chunks).expect("update");
    chunks.push(sealer.finish().expect("finish"));
    out.extend(chunks.concat());
    (secret, out)
}

fn inner(manifest_json: &str, files: &[u8], len: usize) -> Vec<u8> {
    let mut inner = (manifest_json.len() as u32).to_be_bytes().to_vec();
    inner.extend_from_slice(manifest_json.as_bytes());
    inner.extend_from_slice(files);
    inner.resize(len, 0);
    inner
}

#[test]
fn decrypted_content_is_checked_like_any_untrusted_input() {
    let ok = r#"{"fields":[["a","b"]],"files":[]}"#;
    let (secret, sealed) = seal_raw(&inner(ok, b"", 4096));
    assert!(envelope::open(&secret, &sealed).is_ok());
    let sha = hex(&Sha256::digest(b"abc"));
    let with_file = format!(
        r#"{{"fields":[],"files":[{{"field":"f","name":"x","type":"t","size":3,"sha256":"{sha}"}}]}}"#
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not json", inner("{nope", b"", 4096)),
        (
            "unknown key",
            inner(r#"{"fields":[],"files":[],"x":1}"#, b"", 4096),
        ),
        ("short padding", inner(ok, b"", 4095)),
        ("long padding", inner(ok, b"", 4352)),
        ("digest", inner(&with_file, b"abd", 4096)),
        ("manifest length", {
            let mut v = inner(ok, b"", 4096);
            v[..4].copy_from_slice(&5000u32.to_be_bytes());
            v
        }),
        ("non-zero padding", {
            let mut v = inner(ok, b"", 4096);
            v[4095] = 1;
            v
        }),
    ];
    for (what, plaintext) in cases {
        let (secret, sealed) = seal_raw(&plaintext);
        assert!(
            matches!(envelope::open(&secret, &sealed), Err(SealError::Content(_))),
            "{what}"
        );
    }
    assert!(envelope::open(&secret, &seal_raw(&inner(&with_file, b"abc", 4096)).1).is_ok());
}

#[test]
fn the_sealer_holds_the_announced_length() {
    let (_, public) = keys();
    let (_, mut sealer) = Sealer::start(&public, &header(&public), 10).expect("start");
    let mut out = Vec::new();
    assert!(sealer.update(&[0; 11], &mut out).is_err());
    let (_, mut sealer) = Sealer::start(&public, &header(&public), 10).expect("start");
    sealer.update(&[0; 9], &mut out).expect("update");
    assert_eq!(
        sealer.finish(),
        Err(SealError::Sealing("fewer bytes than announced"))
    );
}

#[test]
fn sizes_are_padded() {
    let (_, sealed) = small_envelope();
    let (_, sealed_longer) = {
        let (secret, public) = keys();
        let mut more = fields();
        more.push(("extra".into(), "x".repeat(2000)));
        (
            secret,
            envelope::seal(&public, &header(&public), more, vec![]).expect("seal"),
        )
    };
    assert_eq!(
        sealed.len(),
        sealed_longer.len(),
        "both within the 4 KiB floor"
    );
    assert_eq!(padded_len(5000), 5120);
}

#[test]
fn key_pairs_belong_together() {
    let (secret, public) = envelope::generate();
    assert_eq!(envelope::public_key(&secret), Ok(public));
    let text = secret.to_text();
    let again: SecretKey = text.parse().expect("parse");
    assert_eq!(envelope::public_key(&again), Ok(public));
}

/// Seals pieces as given (flags included), so that chunk structures the sealer never writes can
/// be tried against the opener.
fn seal_pieces(pieces: &[(u8, Vec<u8>)]) -> (SecretKey, Vec<u8>) {
    let (secret, public) = keys();
    let header = header(&public);
    let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(&public.to_bytes()).expect("pk");
    let encoded = header.encode();
    let mut info = b"keksdose seal v1\0".to_vec();
    info.extend_from_slice(&Sha256::digest(&encoded));
    let (enc, mut context) =
        hpke::setup_sender::<AesGcm256, HkdfSha256, Kem>(&OpModeS::Base, &recipient, &info)
            .expect("setup");
    let mut out = encoded;
    out.extend_from_slice(&enc.to_bytes());
    for (flag, data) in pieces {
        let mut plaintext = vec![*flag];
        plaintext.extend_from_slice(data);
        out.extend(context.seal(&plaintext, &[]).expect("seal"));
    }
    (secret, out)
}

/// A valid inner plaintext of exactly one chunk (64 KiB): manifest and one file fill it.
fn inner_of_one_chunk() -> Vec<u8> {
    let manifest = |size: usize, digest: &str| {
        format!(
            r#"{{"fields":[],"files":[{{"field":"f","name":"x","type":"t","size":{size},"sha256":"{digest}"}}]}}"#
        )
    };
    let size = 65536 - 4 - manifest(10_000, &"0".repeat(64)).len();
    let bytes = vec![7u8; size];
    let json = manifest(size, &hex(&Sha256::digest(&bytes)));
    let inner = inner(&json, &bytes, 65536);
    assert_eq!(padded_len(65536), 65536);
    inner
}

#[test]
fn an_empty_last_chunk_is_refused() {
    let full = inner_of_one_chunk();
    let (secret, sealed) = seal_pieces(&[(0, full.clone()), (1, Vec::new())]);
    assert!(
        matches!(
            envelope::open(&secret, &sealed),
            Err(SealError::Malformed(_))
        ),
        "an empty last chunk"
    );
    let (secret, sealed) = seal_pieces(&[(1, full)]);
    assert!(
        envelope::open(&secret, &sealed).is_ok(),
        "the same content as one full chunk"
    );
}

#[test]
fn manifests_are_read_strictly() {
    for (what, json) in [
        ("duplicate key", r#"{"fields":[],"files":[],"files":[]}"#),
        (
            "three-element pair",
            r#"{"fields":[["a","b","c"]],"files":[]}"#,
        ),
        ("number as value", r#"{"fields":[["a",1]],"files":[]}"#),
        (
            "lone surrogate",
            r#"{"fields":[["a","\ud800"]],"files":[]}"#,
        ),
        ("byte order mark", "\u{feff}{\"fields\":[],\"files\":[]}"),
        ("manifest as an array", r#"[[["a","b"]],[]]"#),
        (
            "file as an array",
            r#"{"fields":[],"files":[["f","x","t",0,"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]]}"#,
        ),
        (
            "sizes beyond the plaintext (and near overflow)",
            r#"{"fields":[],"files":[{"field":"f","name":"x","type":"t","size":18302628885633695744,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}"#,
        ),
        (
            // Σ size wraps to 0 in 64-bit arithmetic: the sum must be computed without overflow.
            "sizes whose sum overflows",
            r#"{"fields":[],"files":[{"field":"f","name":"x","type":"t","size":9223372036854775808,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"field":"f","name":"y","type":"t","size":9223372036854775808,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}"#,
        ),
        (
            "negative zero size",
            r#"{"fields":[],"files":[{"field":"f","name":"x","type":"t","size":-0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}"#,
        ),
        (
            "size with fraction",
            r#"{"fields":[],"files":[{"field":"f","name":"x","type":"t","size":0.0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}"#,
        ),
        (
            "size with exponent",
            r#"{"fields":[],"files":[{"field":"f","name":"x","type":"t","size":0e0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}"#,
        ),
        (
            "upper-case digest",
            r#"{"fields":[],"files":[{"field":"f","name":"x","type":"t","size":0,"sha256":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}]}"#,
        ),
        (
            "extra key in a file",
            r#"{"fields":[],"files":[{"field":"f","name":"x","type":"t","size":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","x":1}]}"#,
        ),
    ] {
        let (secret, sealed) = seal_raw(&inner(json, b"", 4096));
        assert!(
            matches!(envelope::open(&secret, &sealed), Err(SealError::Content(_))),
            "{what}"
        );
    }
    let empty_file = r#"{"fields":[["",""]],"files":[{"field":"f","name":"","type":"","size":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}"#;
    let (secret, sealed) = seal_raw(&inner(empty_file, b"", 4096));
    assert!(
        envelope::open(&secret, &sealed).is_ok(),
        "empty strings and files are fine"
    );
}

#[test]
fn chunk_layouts_are_checkable_without_the_key() {
    let full = 64 * 1024 + 17;
    assert!(chunks_well_formed(32 + 18, 65536));
    assert!(
        !chunks_well_formed(32 + full + 17, 65536),
        "an empty last chunk"
    );
    assert!(chunks_well_formed(32 + 4113, 65536));
    assert!(chunks_well_formed(32 + full, 65536));
    assert!(chunks_well_formed(32 + 2 * full + 18, 65536));
    assert!(!chunks_well_formed(32, 65536));
    assert!(!chunks_well_formed(31, 65536));
    assert!(!chunks_well_formed(32 + 16, 65536));
    assert!(!chunks_well_formed(32 + full + 5, 65536));
}

#[test]
fn the_sealer_refuses_what_no_opener_accepts() {
    let (_, public) = keys();
    let header = header(&public);
    let too_long = vec![("text".into(), "x".repeat(1 << 20))];
    assert!(matches!(
        envelope::seal(&public, &header, too_long, vec![]),
        Err(SealError::TooLarge(_))
    ));
    let too_many = vec![(String::new(), String::new()); 10_001];
    assert!(matches!(
        envelope::seal(&public, &header, too_many, vec![]),
        Err(SealError::TooLarge(_))
    ));
    let mut entry = file("a.bin", b"abc");
    entry.size = 4;
    assert!(envelope::seal(&public, &header, vec![], vec![(entry, b"abc".as_slice())]).is_err());
    let mut long_origin = header.clone();
    long_origin.origin = "x".repeat(3000);
    assert!(Sealer::start(&public, &long_origin, 4096).is_err());
}

#[test]
fn the_largest_submission_fits_the_collectors_bound() {
    let (_, public) = keys();
    let mut header = header(&public);
    header.tenant = "t".repeat(63);
    header.form_id = "f".repeat(64);
    header.origin = format!("https://{}", "o".repeat(2040));
    let attachment = vec![1u8; 3 << 20];
    // Just under the manifest limit: the JSON adds its punctuation to the text.
    let text = vec![("nachricht".into(), "x".repeat((1 << 20) - 300))];
    let sealed = envelope::seal(
        &public,
        &header,
        text,
        vec![(file("a.bin", &attachment), attachment.as_slice())],
    )
    .expect("seal");
    assert!(sealed.len() as u64 <= max_envelope_len(3 << 20));
    assert!(
        max_envelope_len(3 << 20) < (3 << 20) + (2 << 20),
        "and not far above it"
    );
}
