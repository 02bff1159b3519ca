//! A small, strict JSON reader (RFC 8259) for what keksdose reads from outside: the config.
//!
//! Hand-written instead of `serde_json`: the consent build parses its config on every page view,
//! and serde_json with serde's derived readers made up about half of that wasm module (measured
//! with `twiggy`); this reader and the typed walk in [`crate::config`] cost a few kilobytes.
//! It keeps what a config needs: object keys in document order, repeated keys (reported by the
//! reader of the object, with its path), numbers as their text (no floating point), and syntax
//! errors with line and column. Nesting deeper than [`MAX_DEPTH`] is refused, so hostile input
//! cannot exhaust the stack.

use crate::strings::{concat, decimal};

/// The deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 128;

/// A JSON value. Objects keep their entries in document order, repeated keys included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written (validated against the JSON grammar).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object: `(key, value)` in document order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// What kind of value this is, for messages: `a string`, `an object`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The number as an unsigned integer, if it is one (no sign, fraction or exponent) and fits.
    pub fn as_u64(&self) -> Option<u64> {
        let Value::Number(text) = self else {
            return None;
        };
        text.bytes().try_fold(0u64, |n, b| {
            if b.is_ascii_digit() {
                n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            } else {
                None
            }
        })
    }
}

/// Parses one JSON text (surrounding whitespace allowed). The error names what is wrong and
/// where: `expected `:` at line 3 column 12`.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let value = parser.value()?;
    parser.whitespace();
    if parser.at < parser.bytes.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    /// `what` at the current position: `… at line L column C` (columns count characters).
    fn error(&self, what: &str) -> String {
        // The parser only stops on ASCII bytes, so `at` is a character boundary.
        let before = self.text.get(..self.at).unwrap_or(self.text);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before
            .bytes()
            .rposition(|b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        concat(&[
            what,
            " at line ",
            &decimal(line as u64),
            " column ",
            &decimal(column as u64),
        ])
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Consumes `byte` after optional whitespace, or fails with "expected `byte`".
    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        self.whitespace();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn unexpected(&self, expected: &str) -> String {
        if self.at >= self.bytes.len() {
            self.error(&concat(&["EOF while parsing: expected ", expected]))
        } else {
            self.error(&concat(&["expected ", expected]))
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.whitespace();
        match self.peek() {
            Some(b'{') => self.nested(Parser::object),
            Some(b'[') => self.nested(Parser::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        self.at += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn object(&mut self) -> Result<Value, String> {
        let mut entries = Vec::new();
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(entries));
        }
        loop {
            self.whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a key in double quotes"));
            }
            let key = self.string()?;
            self.expect(b':', "`:`")?;
            entries.push((key, self.value()?));
            if self.list_ends(b'}', "`,` or `}`")? {
                return Ok(Value::Object(entries));
            }
        }
    }

    fn array(&mut self) -> Result<Value, String> {
        let mut items = Vec::new();
        self.whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            if self.list_ends(b']', "`,` or `]`")? {
                return Ok(Value::Array(items));
            }
        }
    }

    /// After an item: `,` (more follow) or the closing bracket.
    fn list_ends(&mut self, close: u8, what: &str) -> Result<bool, String> {
        self.whitespace();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(false)
            }
            Some(b) if b == close => {
                self.at += 1;
                Ok(true)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.unexpected("a value"))
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<Value, String> {
        let start = self.at;
        self.skip(b"-");
        if !self.skip(b"0") && self.digits() == 0 {
            return Err(self.error("invalid number"));
        }
        if self.skip(b".") && self.digits() == 0 {
            return Err(self.error("invalid number"));
        }
        if self.skip(b"eE") {
            self.skip(b"+-");
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(Value::Number(self.text[start..self.at].to_owned()))
    }

    /// Consumes one byte if it is one of `any`.
    fn skip(&mut self, any: &[u8]) -> bool {
        let found = self.peek().is_some_and(|b| any.contains(&b));
        self.at += usize::from(found);
        found
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start
    }

    /// A string starting at the opening quote.
    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while self
                .peek()
                .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.at += 1;
            }
            // `text` is valid UTF-8 and the run ends at an ASCII byte or the end: a boundary.
            out.push_str(&self.text[start..self.at]);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("EOF while parsing a string")),
            }
        }
    }

    /// The character of an escape sequence after its backslash.
    fn escape(&mut self) -> Result<char, String> {
        let byte = self
            .peek()
            .ok_or_else(|| self.error("EOF while parsing a string"))?;
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                let code = match high {
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.at..].starts_with(b"\\u") {
                            return Err(self.error("lone surrogate in a string"));
                        }
                        self.at += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error("lone surrogate in a string"));
                        }
                        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(self.error("lone surrogate in a string")),
                    _ => high,
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid escape"))?
            }
            _ => {
                self.at -= 1;
                return Err(self.error("invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("invalid escape"))?;
            code = code * 16 + digit;
            self.at += 1;
        }
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(entries: &[(&str, Value)]) -> Value {
        Value::Object(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn reads_every_kind_of_value_and_keeps_key_order_and_repeats() {
        let value =
            parse(r#" { "b": [true, false, null], "a": -1.5e+3, "a": "x" } "#).expect("valid");
        assert_eq!(
            value,
            object(&[
                (
                    "b",
                    Value::Array(vec![Value::Bool(true), Value::Bool(false), Value::Null])
                ),
                ("a", Value::Number("-1.5e+3".into())),
                ("a", Value::String("x".into())),
            ])
        );
    }

    #[test]
    fn unescapes_strings_including_surrogate_pairs() {
        let value = parse(r#""a\"\\\/\b\f\n\r\t\u00e4\ud83c\udf6a ü""#).expect("valid");
        assert_eq!(value, Value::String("a\"\\/\u{8}\u{c}\n\r\tä🍪 ü".into()));
    }

    #[test]
    fn numbers_are_whole_only_when_written_so() {
        let n = |text: &str| parse(text).expect("valid").as_u64();
        assert_eq!(n("0"), Some(0));
        assert_eq!(n("18446744073709551615"), Some(u64::MAX));
        assert_eq!(n("18446744073709551616"), None);
        assert_eq!(n("-1"), None);
        assert_eq!(n("1.0"), None);
        assert_eq!(n("1e3"), None);
        assert_eq!(Value::String("1".into()).as_u64(), None);
    }

    #[test]
    fn refuses_what_the_grammar_does_not_allow_and_says_where() {
        for (text, error) in [
            ("", "EOF while parsing: expected a value at line 1 column 1"),
            (
                "{",
                "EOF while parsing: expected a key in double quotes at line 1 column 2",
            ),
            ("{\n  \"a\" 1}", "expected `:` at line 2 column 7"),
            ("[1,]", "expected a value at line 1 column 4"),
            (
                "{\"a\":1,}",
                "expected a key in double quotes at line 1 column 8",
            ),
            ("[1 2]", "expected `,` or `]` at line 1 column 4"),
            ("01", "trailing characters at line 1 column 2"),
            ("{} x", "trailing characters at line 1 column 4"),
            ("1.", "invalid number at line 1 column 3"),
            ("-", "invalid number at line 1 column 2"),
            ("1e", "invalid number at line 1 column 3"),
            ("tru", "expected a value at line 1 column 1"),
            (
                "\"a\tb\"",
                "control character in a string at line 1 column 3",
            ),
            ("\"\\x\"", "invalid escape at line 1 column 3"),
            ("\"\\u12\"", "invalid escape at line 1 column 6"),
            (
                "\"\\ud800\"",
                "lone surrogate in a string at line 1 column 8",
            ),
            (
                "\"\\udc00\"",
                "lone surrogate in a string at line 1 column 8",
            ),
            ("\"äb", "EOF while parsing a string at line 1 column 4"),
            ("'a'", "expected a value at line 1 column 1"),
        ] {
            assert_eq!(parse(text), Err(error.to_owned()), "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(100_000);
        assert_eq!(
            parse(&deep),
            Err("nested too deeply at line 1 column 129".to_owned())
        );
    }
}
