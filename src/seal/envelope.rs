//! Envelope v1: one form submission sealed to the controller's public key.
//!
//! The byte format is specified in `docs/envelope-v1.md`, precisely enough to write an opener
//! from it; in short:
//!
//! ```text
//! envelope = header ‖ enc (32 bytes) ‖ chunk₀ ‖ … ‖ chunkₙ
//! info     = "keksdose seal v1" ‖ 0x00 ‖ SHA-256(header)        (aad is empty)
//! chunkᵢ   = HPKE Seal of (flag ‖ 64 KiB of the inner plaintext), flag 0x01 on the last only
//! inner    = manifest length (u32) ‖ manifest (JSON) ‖ file bytes ‖ zeros to max(4 KiB, Padmé)
//! ```
//!
//! One HPKE context per submission: its sequence numbers make every chunk's nonce, so chunks
//! cannot be reordered, dropped or substituted; the flag inside the last one makes truncation at
//! a chunk boundary visible. A one-chunk envelope is a plain RFC 9180 single-shot ciphertext of
//! `0x01 ‖ inner`.

use std::fmt;

use hpke::aead::{AeadCtxS, AesGcm256};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use super::keys::{KEM_ID, KeyId, PublicKey, SecretKey};
use super::padding::padded_len;
use crate::strings::{UTC_MAX, hex};
use crate::tenant;

type Kem = X25519HkdfSha256;
type Kdf = HkdfSha256;
type Aead = AesGcm256;

/// First bytes of every envelope.
pub const MAGIC: &[u8; 6] = b"KDSEAL";
/// The format version this module reads and writes.
pub const VERSION: u8 = 1;
/// RFC 9180 identifier of HKDF-SHA256.
pub const KDF_ID: u16 = 0x0001;
/// RFC 9180 identifier of AES-256-GCM.
pub const AEAD_ID: u16 = 0x0002;
/// Plaintext bytes per chunk (besides the flag byte).
pub const CHUNK_SIZE: u32 = 64 * 1024;
/// Length of the encapsulated key (X25519).
pub const ENC_LEN: usize = 32;
/// AES-GCM tag length.
const TAG_LEN: usize = 16;
/// What sealing adds to each chunk's plaintext: the flag byte and the tag.
const CHUNK_OVERHEAD: usize = 1 + TAG_LEN;
/// The smallest last chunk: flag, one byte of inner plaintext, tag.
const MIN_LAST_CHUNK: usize = CHUNK_OVERHEAD + 1;
/// The chunk sizes a header may name (powers of two).
const CHUNK_SIZES: std::ops::RangeInclusive<u32> = 4096..=1 << 20;
/// The longest tenant, form id and origin in a header, in bytes.
const MAX_TENANT_LEN: usize = tenant::MAX_LEN;
const MAX_FORM_ID_LEN: usize = 64;
const MAX_ORIGIN_LEN: usize = 2048;
/// The longest header: fixed part, tenant, form id and origin with their lengths.
const MAX_HEADER_LEN: usize = 6
    + 1
    + 3 * 2
    + 16
    + 16
    + 8
    + 4
    + (1 + MAX_TENANT_LEN)
    + (1 + MAX_FORM_ID_LEN)
    + (2 + MAX_ORIGIN_LEN);
/// The media type of a sealed submission on the wire.
pub const MEDIA_TYPE: &str = "application/vnd.keksdose.sealed";
/// Domain separation of the `info` string.
const INFO_LABEL: &[u8] = b"keksdose seal v1";
/// Largest manifest, sealed or opened.
const MAX_MANIFEST: usize = 1 << 20;
/// Largest number of fields or files, sealed or opened.
const MAX_ENTRIES: usize = 10_000;

/// The largest envelope of a submission whose files total at most `max_attachment_bytes`: the
/// longest header, the largest manifest, padding, and the smallest chunks allowed.
pub fn max_envelope_len(max_attachment_bytes: u64) -> u64 {
    let inner = padded_len(4 + MAX_MANIFEST as u64 + max_attachment_bytes);
    let chunks = inner.div_ceil(u64::from(*CHUNK_SIZES.start()));
    (MAX_HEADER_LEN + ENC_LEN) as u64 + inner + chunks * CHUNK_OVERHEAD as u64
}

/// Whether `len` bytes after a header can be `enc` and the chunks of `chunk_size`: full ones,
/// then a last one of at least one byte of plaintext. Checkable without the key.
pub fn chunks_well_formed(len: usize, chunk_size: u32) -> bool {
    let Some(rest) = len.checked_sub(ENC_LEN) else {
        return false;
    };
    let full = chunk_size as usize + CHUNK_OVERHEAD;
    let last = match rest % full {
        0 => full,
        partial => partial,
    };
    rest > 0 && last >= MIN_LAST_CHUNK
}

/// Why sealing or opening failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealError {
    /// Not an envelope v1, or one whose clear-text structure is broken.
    Malformed(String),
    /// Sealed to another key.
    WrongKey {
        /// The key id in the envelope.
        envelope: KeyId,
        /// The id of the key that was tried.
        key: KeyId,
    },
    /// Decryption failed: the envelope was changed, reordered or cut inside a chunk. On
    /// purpose this does not say which.
    Undecryptable,
    /// Every chunk is authentic, but the last one is missing.
    Truncated,
    /// Authentic, but the decrypted content is not a valid submission.
    Content(String),
    /// The sealer was used wrongly (more or fewer bytes than announced) or the key is unusable.
    Sealing(&'static str),
    /// The submission is beyond what the format allows (and what an opener accepts).
    TooLarge(&'static str),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealError::Malformed(why) => write!(f, "not a valid sealed submission: {why}"),
            SealError::WrongKey { envelope, key } => write!(
                f,
                "sealed to key {envelope}, but the key given is {key}; use the secret key of {envelope}"
            ),
            SealError::Undecryptable => f.write_str(
                "cannot open: the submission was changed, reordered or cut off, or is not sealed to this key",
            ),
            SealError::Truncated => f.write_str("cannot open: the submission is cut off"),
            SealError::Content(why) => write!(f, "decrypted, but not a valid submission: {why}"),
            SealError::Sealing(why) => write!(f, "sealing failed: {why}"),
            SealError::TooLarge(why) => write!(f, "too large to seal: {why}"),
        }
    }
}

impl std::error::Error for SealError {}

/// The clear-text header: what the host may see, bound to the ciphertext through `info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The key the submission is sealed to.
    pub kid: KeyId,
    /// Random id of this submission.
    pub submission_id: [u8; 16],
    /// When it was sealed (Unix seconds, the sender's clock).
    pub created: u64,
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// The tenant (site) it belongs to.
    pub tenant: String,
    /// The form's id (`data-keksdose-seal`).
    pub form_id: String,
    /// The origin of the page the form was on.
    pub origin: String,
}

impl Header {
    /// A header for a new submission to `public_key`.
    pub fn new(
        public_key: &PublicKey,
        submission_id: [u8; 16],
        created: u64,
        tenant: &str,
        form_id: &str,
        origin: &str,
    ) -> Result<Header, SealError> {
        let header = Header {
            kid: public_key.kid(),
            submission_id,
            created,
            chunk_size: CHUNK_SIZE,
            tenant: tenant.to_owned(),
            form_id: form_id.to_owned(),
            origin: origin.to_owned(),
        };
        header.check().map_err(SealError::Malformed)?;
        Ok(header)
    }

    /// The submission id as 32 lower-case hex digits.
    pub fn submission_id_hex(&self) -> String {
        hex(&self.submission_id)
    }

    /// The header's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.origin.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&KEM_ID.to_be_bytes());
        out.extend_from_slice(&KDF_ID.to_be_bytes());
        out.extend_from_slice(&AEAD_ID.to_be_bytes());
        out.extend_from_slice(&self.kid.0);
        out.extend_from_slice(&self.submission_id);
        out.extend_from_slice(&self.created.to_be_bytes());
        out.extend_from_slice(&self.chunk_size.to_be_bytes());
        for (text, wide) in [
            (&self.tenant, false),
            (&self.form_id, false),
            (&self.origin, true),
        ] {
            if wide {
                out.extend_from_slice(&(text.len() as u16).to_be_bytes());
            } else {
                out.push(text.len() as u8);
            }
            out.extend_from_slice(text.as_bytes());
        }
        out
    }

    /// Reads a header from the start of `bytes`; returns it with its length.
    pub fn parse(bytes: &[u8]) -> Result<(Header, usize), SealError> {
        let malformed = |why: &str| SealError::Malformed(why.to_owned());
        let mut reader = Reader { bytes, at: 0 };
        if reader.take(6).ok_or_else(|| malformed("too short"))? != MAGIC {
            return Err(malformed("wrong magic (not a keksdose envelope)"));
        }
        let version = reader.u8().ok_or_else(|| malformed("too short"))?;
        if version != VERSION {
            return Err(SealError::Malformed(format!(
                "version {version} (this version of keksdose reads version {VERSION})"
            )));
        }
        let suite = (reader.u16(), reader.u16(), reader.u16());
        if suite != (Some(KEM_ID), Some(KDF_ID), Some(AEAD_ID)) {
            return Err(malformed(
                "unsupported HPKE suite (expected 0x0020/0x0001/0x0002)",
            ));
        }
        let short = || malformed("header cut off");
        let kid = KeyId(reader.array().ok_or_else(short)?);
        let submission_id = reader.array().ok_or_else(short)?;
        let created = u64::from_be_bytes(reader.array().ok_or_else(short)?);
        let chunk_size = u32::from_be_bytes(reader.array().ok_or_else(short)?);
        let mut text = |wide: bool| -> Result<String, SealError> {
            let len = if wide {
                reader.u16().map(usize::from)
            } else {
                reader.u8().map(usize::from)
            };
            let raw = len.and_then(|len| reader.take(len)).ok_or_else(short)?;
            String::from_utf8(raw.to_vec()).map_err(|_| malformed("text field is not UTF-8"))
        };
        let header = Header {
            kid,
            submission_id,
            created,
            chunk_size,
            tenant: text(false)?,
            form_id: text(false)?,
            origin: text(true)?,
        };
        header.check().map_err(SealError::Malformed)?;
        Ok((header, reader.at))
    }

    /// The rules every header meets.
    fn check(&self) -> Result<(), String> {
        if !tenant::is_valid(&self.tenant) {
            return Err(format!("tenant: expected {}", tenant::RULE));
        }
        let form_ok = (1..=MAX_FORM_ID_LEN).contains(&self.form_id.len())
            && self
                .form_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !form_ok {
            return Err(format!(
                "form id: expected 1–{MAX_FORM_ID_LEN} characters A–Z, a–z, 0–9, _ . -"
            ));
        }
        let origin_ok = (1..=MAX_ORIGIN_LEN).contains(&self.origin.len())
            && self.origin.bytes().all(|b| b.is_ascii_graphic());
        if !origin_ok {
            return Err(format!(
                "origin: expected 1–{MAX_ORIGIN_LEN} visible ASCII characters"
            ));
        }
        if self.created > UTC_MAX {
            return Err("created: after 9999-12-31T23:59:59Z (RFC 3339 cannot write it)".into());
        }
        if !self.chunk_size.is_power_of_two() || !CHUNK_SIZES.contains(&self.chunk_size) {
            return Err("chunk size: expected a power of two from 4 KiB to 1 MiB".into());
        }
        Ok(())
    }
}

/// `info` for the HPKE context: the label, a zero byte, and the header's SHA-256.
fn info(header: &[u8]) -> Vec<u8> {
    let mut info = INFO_LABEL.to_vec();
    info.push(0);
    info.extend_from_slice(&Sha256::digest(header));
    info
}

/// What a submission holds, in the order of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Text fields as `(name, value)`, in form order; names may repeat.
    pub fields: Vec<(String, String)>,
    /// Attached files, in form order; their bytes follow the manifest in this order.
    #[serde(deserialize_with = "objects")]
    pub files: Vec<FileEntry>,
}

/// One attached file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// The form field it was attached to.
    pub field: String,
    /// The file name the visitor's browser gave (untrusted: sanitise before use).
    pub name: String,
    /// The media type the browser gave (untrusted).
    #[serde(rename = "type")]
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, 64 lower-case hex digits.
    pub sha256: String,
}

/// Reads a `T` only from a JSON object: a derived struct would take an array as well, which
/// the format does not allow.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjectVisitor(std::marker::PhantomData))
            .map(Object)
    }
}

fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    let list: Vec<Object<T>> = Deserialize::deserialize(deserializer)?;
    Ok(list.into_iter().map(|Object(item)| item).collect())
}

/// The start of a submission's inner plaintext and its sizes.
#[derive(Debug)]
pub struct Inner {
    /// Manifest length (u32, big-endian) and the manifest: the first bytes to seal.
    pub prefix: Vec<u8>,
    /// Length of the inner plaintext before padding: prefix and file bytes.
    pub content_len: u64,
    /// Length of the inner plaintext with its padding: what the sealer is started with.
    pub padded_len: u64,
}

impl Inner {
    /// How many zero bytes follow the files.
    pub fn padding(&self) -> u64 {
        self.padded_len - self.content_len
    }
}

impl Manifest {
    /// Encodes the manifest for sealing; refuses what an opener would refuse (more than
    /// 10000 fields or files, a manifest over 1 MiB, sizes that overflow), so that nothing is
    /// sent that could never be opened.
    pub fn inner(&self) -> Result<Inner, SealError> {
        if self.fields.len() > MAX_ENTRIES || self.files.len() > MAX_ENTRIES {
            return Err(SealError::TooLarge("more than 10000 fields or files"));
        }
        // Serialising plain strings and numbers cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        if json.len() > MAX_MANIFEST {
            return Err(SealError::TooLarge("more than 1 MiB of text"));
        }
        let mut prefix = Vec::with_capacity(4 + json.len());
        prefix.extend_from_slice(&(json.len() as u32).to_be_bytes());
        prefix.extend_from_slice(&json);
        let content_len = self
            .files
            .iter()
            .try_fold(prefix.len() as u64, |sum, f| sum.checked_add(f.size))
            .filter(|&len| len <= 1 << 62)
            .ok_or(SealError::TooLarge("file sizes overflow"))?;
        Ok(Inner {
            prefix,
            content_len,
            padded_len: padded_len(content_len),
        })
    }
}

/// Seals the inner plaintext of one submission, chunk by chunk, so that neither side needs
/// the whole of it in memory.
pub struct Sealer {
    context: AeadCtxS<Aead, Kdf, Kem>,
    pending: Vec<u8>,
    chunk_size: usize,
    remaining: u64,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(<context>)")
    }
}

impl Sealer {
    /// Starts an envelope for `inner_len` bytes of inner plaintext (padding included) with the
    /// system's randomness; returns `header ‖ enc` and the sealer.
    pub fn start(
        public_key: &PublicKey,
        header: &Header,
        inner_len: u64,
    ) -> Result<(Vec<u8>, Sealer), SealError> {
        Sealer::start_with_rng(
            public_key,
            header,
            inner_len,
            &mut rand_core::UnwrapErr(getrandom::SysRng),
        )
    }

    /// [`Sealer::start`] with the ephemeral key drawn from `rng` (for deterministic tests).
    pub fn start_with_rng(
        public_key: &PublicKey,
        header: &Header,
        inner_len: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<(Vec<u8>, Sealer), SealError> {
        if header.kid != public_key.kid() {
            return Err(SealError::Sealing("the header names another key"));
        }
        header.check().map_err(SealError::Malformed)?;
        let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(&public_key.0)
            .map_err(|_| SealError::Sealing("unusable public key"))?;
        let encoded = header.encode();
        let (enc, context) = hpke::setup_sender_with_rng::<Aead, Kdf, Kem>(
            &OpModeS::Base,
            &recipient,
            &info(&encoded),
            rng,
        )
        .map_err(|_| SealError::Sealing("key encapsulation failed"))?;
        let mut start = encoded;
        start.extend_from_slice(&enc.to_bytes());
        let sealer = Sealer {
            context,
            pending: Vec::new(),
            chunk_size: header.chunk_size as usize,
            remaining: inner_len,
        };
        Ok((start, sealer))
    }

    /// Feeds the next bytes of the inner plaintext; the ciphertext of every chunk completed
    /// (and known not to be the last) is appended to `out`.
    pub fn update(&mut self, data: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), SealError> {
        if data.len() as u64 > self.remaining {
            return Err(SealError::Sealing("more bytes than announced"));
        }
        self.remaining -= data.len() as u64;
        self.pending.extend_from_slice(data);
        let mut sealed = 0;
        while self.pending.len() - sealed > self.chunk_size {
            let chunk = &self.pending[sealed..sealed + self.chunk_size];
            out.push(seal_chunk(&mut self.context, 0, chunk)?);
            sealed += self.chunk_size;
        }
        self.pending.drain(..sealed);
        Ok(())
    }

    /// Feeds `len` zero bytes, the padding after the content, like [`Sealer::update`].
    pub fn pad(&mut self, len: u64, out: &mut Vec<Vec<u8>>) -> Result<(), SealError> {
        let zeros = vec![0u8; self.chunk_size];
        let mut left = len;
        while left > 0 {
            let take = left.min(zeros.len() as u64) as usize;
            self.update(&zeros[..take], out)?;
            left -= take as u64;
        }
        Ok(())
    }

    /// Seals the last chunk.
    pub fn finish(mut self) -> Result<Vec<u8>, SealError> {
        if self.remaining != 0 {
            return Err(SealError::Sealing("fewer bytes than announced"));
        }
        seal_chunk(&mut self.context, 1, &self.pending)
    }
}

/// Seals one chunk: the flag byte, then `data`.
fn seal_chunk(
    context: &mut AeadCtxS<Aead, Kdf, Kem>,
    flag: u8,
    data: &[u8],
) -> Result<Vec<u8>, SealError> {
    let mut plaintext = Vec::with_capacity(1 + data.len());
    plaintext.push(flag);
    plaintext.extend_from_slice(data);
    context
        .seal(&plaintext, &[])
        .map_err(|_| SealError::Sealing("too many chunks"))
}

/// Seals a whole submission held in memory (fields and file bytes) with the system's
/// randomness: the one-shot helper for native callers.
pub fn seal(
    public_key: &PublicKey,
    header: &Header,
    fields: Vec<(String, String)>,
    files: Vec<(FileEntry, &[u8])>,
) -> Result<Vec<u8>, SealError> {
    seal_with_rng(
        public_key,
        header,
        fields,
        files,
        &mut rand_core::UnwrapErr(getrandom::SysRng),
    )
}

/// [`seal`] with the ephemeral key drawn from `rng`.
pub fn seal_with_rng(
    public_key: &PublicKey,
    header: &Header,
    fields: Vec<(String, String)>,
    files: Vec<(FileEntry, &[u8])>,
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>, SealError> {
    if files
        .iter()
        .any(|(entry, bytes)| entry.size != bytes.len() as u64)
    {
        return Err(SealError::Sealing("a file's size does not match its bytes"));
    }
    let manifest = Manifest {
        fields,
        files: files.iter().map(|(entry, _)| entry.clone()).collect(),
    };
    let inner = manifest.inner()?;
    let (mut envelope, mut sealer) =
        Sealer::start_with_rng(public_key, header, inner.padded_len, rng)?;
    let mut chunks = Vec::new();
    sealer.update(&inner.prefix, &mut chunks)?;
    for (_, bytes) in &files {
        sealer.update(bytes, &mut chunks)?;
    }
    sealer.pad(inner.padding(), &mut chunks)?;
    chunks.push(sealer.finish()?);
    for chunk in chunks {
        envelope.extend_from_slice(&chunk);
    }
    Ok(envelope)
}

/// A submission opened with the controller's secret key. Its content comes from whoever sealed
/// it — anyone can seal to a public key — so treat every field and file as untrusted input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The clear-text header.
    pub header: Header,
    /// The encapsulated key: with the submission id, what identifies a replay.
    pub enc: [u8; ENC_LEN],
    /// Fields and file descriptions.
    pub manifest: Manifest,
    /// The files' bytes, in manifest order; sizes and SHA-256 are verified.
    pub files: Vec<Vec<u8>>,
}

/// The secret key's public half.
pub fn public_key(secret: &SecretKey) -> Result<PublicKey, SealError> {
    Ok(public_of(&private(secret)?))
}

fn private(secret: &SecretKey) -> Result<<Kem as hpke::Kem>::PrivateKey, SealError> {
    <Kem as hpke::Kem>::PrivateKey::from_bytes(&secret.0)
        .map_err(|_| SealError::Sealing("unusable secret key"))
}

fn public_of(secret: &<Kem as hpke::Kem>::PrivateKey) -> PublicKey {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&Kem::sk_to_pk(secret).to_bytes());
    PublicKey(bytes)
}

/// A new key pair from the system's randomness.
pub fn generate() -> (SecretKey, PublicKey) {
    generate_with_rng(&mut rand_core::UnwrapErr(getrandom::SysRng))
}

/// A new key pair drawn from `rng`.
pub fn generate_with_rng(rng: &mut impl CryptoRng) -> (SecretKey, PublicKey) {
    let (secret, public) = Kem::gen_keypair_with_rng(rng);
    let mut secret_bytes = [0u8; 32];
    secret_bytes.copy_from_slice(&secret.to_bytes());
    let mut public_bytes = [0u8; 32];
    public_bytes.copy_from_slice(&public.to_bytes());
    (SecretKey(secret_bytes), PublicKey(public_bytes))
}

/// Opens an envelope with the controller's secret key.
pub fn open(secret: &SecretKey, envelope: &[u8]) -> Result<Opened, SealError> {
    let (header, header_len) = Header::parse(envelope)?;
    let recipient = private(secret)?;
    let key = public_of(&recipient).kid();
    if header.kid != key {
        return Err(SealError::WrongKey {
            envelope: header.kid,
            key,
        });
    }
    let body = &envelope[header_len..];
    if !chunks_well_formed(body.len(), header.chunk_size) {
        return Err(SealError::Malformed(
            "the ciphertext is not whole chunks (cut off or extended)".into(),
        ));
    }
    let (enc_bytes, mut chunks) = body.split_at(ENC_LEN);
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc_bytes)
        .map_err(|_| SealError::Undecryptable)?;
    let mut context = hpke::setup_receiver::<Aead, Kdf, Kem>(
        &OpModeR::Base,
        &recipient,
        &enc,
        &info(&envelope[..header_len]),
    )
    .map_err(|_| SealError::Undecryptable)?;

    let full = header.chunk_size as usize + CHUNK_OVERHEAD;
    let mut inner = Vec::with_capacity(chunks.len());
    loop {
        let last = chunks.len() <= full;
        let (chunk, rest) = chunks.split_at(chunks.len().min(full));
        let plaintext = context
            .open(chunk, &[])
            .map_err(|_| SealError::Undecryptable)?;
        let (&flag, data) = plaintext.split_first().ok_or(SealError::Undecryptable)?;
        inner.extend_from_slice(data);
        match (flag, last) {
            (0, false) => chunks = rest,
            (0, true) => return Err(SealError::Truncated),
            (1, true) => break,
            (1, false) => {
                return Err(SealError::Content("data after the last chunk".into()));
            }
            _ => return Err(SealError::Content(format!("chunk flag {flag}"))),
        }
    }
    let (manifest, files) = read_inner(&inner)?;
    let mut enc_out = [0u8; ENC_LEN];
    enc_out.copy_from_slice(enc_bytes);
    Ok(Opened {
        header,
        enc: enc_out,
        manifest,
        files,
    })
}

/// Checks and splits a decrypted inner plaintext.
fn read_inner(inner: &[u8]) -> Result<(Manifest, Vec<Vec<u8>>), SealError> {
    let content = |why: &str| SealError::Content(why.to_owned());
    let length = inner
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| content("no manifest"))?;
    if length > MAX_MANIFEST {
        return Err(content("manifest larger than 1 MiB"));
    }
    let json = inner
        .get(4..4 + length)
        .ok_or_else(|| content("manifest cut off"))?;
    let Object(manifest): Object<Manifest> =
        serde_json::from_slice(json).map_err(|e| SealError::Content(format!("manifest: {e}")))?;
    if manifest.fields.len() > MAX_ENTRIES || manifest.files.len() > MAX_ENTRIES {
        return Err(content("too many fields or files"));
    }
    let total = manifest
        .files
        .iter()
        .try_fold(4 + length as u64, |sum, f| sum.checked_add(f.size))
        .filter(|&total| total <= inner.len() as u64)
        .ok_or_else(|| content("the files are larger than the submission"))?;
    if inner.len() as u64 != padded_len(total) {
        return Err(content(
            "length does not match the manifest and its padding",
        ));
    }
    let mut at = 4 + length;
    let mut files = Vec::with_capacity(manifest.files.len());
    for entry in &manifest.files {
        let bytes = &inner[at..at + entry.size as usize];
        if hex(&Sha256::digest(bytes)) != entry.sha256 {
            return Err(SealError::Content(format!(
                "file {:?}: SHA-256 does not match",
                entry.name
            )));
        }
        files.push(bytes.to_vec());
        at += entry.size as usize;
    }
    if inner[at..].iter().any(|&b| b != 0) {
        return Err(content("padding is not zero"));
    }
    Ok((manifest, files))
}

/// Reads fixed-size pieces from a byte slice.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let piece = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(piece)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }
}
