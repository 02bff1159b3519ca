//! Base64 (RFC 4648) as keksdose writes it: unpadded base64url for ids and keys that live in
//! cookies, URLs and configs, padded standard base64 where a standard asks for it (CSP hashes).

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url (RFC 4648 §5).
pub fn url(bytes: &[u8]) -> String {
    encode(bytes, URL_SAFE, false)
}

/// Padded standard base64 (RFC 4648 §4).
pub fn standard(bytes: &[u8]) -> String {
    encode(bytes, STANDARD, true)
}

/// Decodes unpadded base64url; `None` for any other character, a bad length or non-zero
/// trailing bits, so that every byte string has exactly one text form.
pub fn url_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let value = URL_SAFE.iter().position(|&a| a == c)? as u32;
            n |= value << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        let len = chunk.len() - 1;
        if bytes[1 + len..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[1..1 + len]);
    }
    Some(out)
}

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[(n >> (18 - 6 * i)) as usize & 63]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        // RFC 4648 §10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(standard(plain.as_bytes()), encoded);
            assert_eq!(url(plain.as_bytes()), encoded.trim_end_matches('='));
            assert_eq!(
                url_decode(encoded.trim_end_matches('=')).as_deref(),
                Some(plain.as_bytes())
            );
        }
    }

    #[test]
    fn url_decoding_is_strict() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(url_decode(&url(&bytes)), Some(bytes));
        for bad in ["Zm9v+", "Zm9v/", "Zm9v=", "Z", "Zm9vY", "Zh", "Zm9", "Zm+"] {
            assert_eq!(url_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn alphabets_differ_in_the_last_two_characters() {
        assert_eq!(url(&[0xfb, 0xff, 0xbf]), "-_-_");
        assert_eq!(standard(&[0xfb, 0xff, 0xbf]), "+/+/");
    }
}
