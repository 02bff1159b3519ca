//! Writes the generated seeds of `fuzz/corpus/`: the demo site's configs, envelopes sealed to
//! the demo key (one chunk, several small chunks), their headers, key texts, a cheaply
//! protected key file and one whose cost is refused, consent cookies and records under the demo
//! config. Deterministic: running it again gives the same files.
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds`.

use std::fs;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use keksdose::base64;
use keksdose::config::Config;
use keksdose::consent::record::{Context, Record};
use keksdose::consent::{self, Choice, Consent, Method, cookie};
use keksdose::seal::envelope::{CHUNK_SIZE, FileEntry, Header};
use keksdose::seal::keys::SecretKey;
use keksdose::strings::hex;
use keksdose_fuzz::{SMALL_CHUNK, demo_keys, header, seal};
use sha2::{Digest, Sha256};

fn write(target: &str, name: &str, bytes: impl AsRef<[u8]>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).expect("corpus directory");
    fs::write(dir.join(name), bytes).expect("seed written");
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

/// A key file line protected by `passphrase` at Argon2id cost m = 8 KiB, t = 1, p = 1: the
/// format of `keksdose::seal::keyfile`, at a cost the fuzzer can afford on every run.
fn cheap_key_file(secret: &SecretKey, passphrase: &str) -> String {
    let (salt, nonce) = ([3u8; 16], [4u8; 12]);
    let header = format!("kdsk-argon2id1.8.1.1.{}", base64::url(&salt));
    let params = Params::new(8, 1, 1, Some(32)).expect("Argon2id parameters");
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
        .expect("Argon2id");
    let ciphertext = Aes256Gcm::new_from_slice(&key)
        .expect("key length")
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: secret.to_text().as_bytes(),
                aad: header.as_bytes(),
            },
        )
        .expect("AES-256-GCM");
    format!(
        "# a cheap key file for the fuzzer; passphrase: {passphrase}\n{header}.{}.{}\n",
        base64::url(&nonce),
        base64::url(&ciphertext)
    )
}

fn main() {
    let (secret, public) = demo_keys();
    let fields = vec![
        ("name".to_owned(), "Müller".to_owned()),
        (
            "nachricht".to_owned(),
            "Guten Tag,\nbitte rufen Sie an.".to_owned(),
        ),
    ];
    let one_chunk = seal(
        &public,
        &header(&public, CHUNK_SIZE),
        fields.clone(),
        vec![],
        1,
    )
    .expect("sealed");
    let attachment: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let chunks = seal(
        &public,
        &header(&public, SMALL_CHUNK),
        fields,
        vec![(file("scan.pdf", &attachment), &attachment)],
        2,
    )
    .expect("sealed");
    write("open", "one-chunk", &one_chunk);
    write("open", "three-chunks", &chunks);
    for (name, envelope) in [("one-chunk", &one_chunk), ("three-chunks", &chunks)] {
        let (_, len) = Header::parse(envelope).expect("own header");
        write("header", name, &envelope[..len]);
    }

    write("keys", "public", public.to_string());
    write("keys", "secret", secret.to_text().as_bytes());
    write("keys", "key-id", public.kid().to_string());
    write("keyfile", "unprotected", secret.to_text().as_bytes());
    let protected = cheap_key_file(&secret, "fuzz");
    write(
        "keyfile",
        "refused-cost",
        protected.replace(".8.1.1.", ".8388608.1.1."),
    );
    write("keyfile", "protected", protected);
    write("base64", "public-key", base64::url(&public.to_bytes()));

    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www");
    for name in ["keksdose.json", "consent-mode.json", "broken-config.json"] {
        let text = fs::read(www.join(name)).expect("demo config");
        write("config", name, &text);
        write("json", name, &text);
    }
    let config_text = include_str!("../../www/keksdose.json");
    let config = Config::from_json(config_text).expect("the demo config is valid");
    let revision = consent::revision(&config);
    let given = Consent::new(
        &config,
        revision.clone(),
        "q3v1b1BzQ2VgYtV5nH0x4w".into(),
        1_764_000_000,
        Choice::all(&config),
    );
    let refused = Consent {
        choice: Choice::none(),
        ..given.clone()
    };
    write("cookie", "given", cookie::encode(&given));
    write(
        "cookie",
        "header",
        format!(
            "PHPSESSID=abc; kd_consent={}; kd_consent={}",
            cookie::encode(&given),
            cookie::encode(&refused)
        ),
    );
    let hash = consent::config_hash(config_text);
    let context = Context {
        config: &config,
        revision: &revision,
        config_hash: &hash,
        language: "de",
    };
    let record = |consent: &Consent, method, withdrawal, id: &str| {
        Record::new(&context, consent, method, withdrawal, id.into()).to_json()
    };
    let accepted = record(&given, Method::AcceptAll, false, "rrrrrrrrrrrrrrrrrrrrrr");
    let withdrawn = record(&refused, Method::Custom, true, "ssssssssssssssssssssss");
    write("record", "accept-all", &accepted);
    write("record", "withdrawal", &withdrawn);
    write("record", "device-log", format!("{accepted}\n{withdrawn}\n"));
}
