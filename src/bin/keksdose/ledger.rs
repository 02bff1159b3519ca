//! `keksdose open --new LEDGER`: the submissions opened before, as a text file of their ids
//! (32 hex digits, one per line) that is only ever appended to, never rewritten or truncated.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// The ids in a ledger, and the file to append to.
pub struct Ledger {
    path: PathBuf,
    file: File,
    ids: HashSet<String>,
    /// Whether the file is empty or ends with a line break (a hand-edited one may not).
    ends_with_line_break: bool,
}

impl Ledger {
    /// Reads the ledger at `path`, creating it (mode 0600) when missing. Refused when `open`
    /// would read it as an envelope (it is one of the `inputs` or inside an input directory) or
    /// write its output there, and when a line is not a submission id: then it is not a ledger.
    pub fn open(
        path: &Path,
        inputs: &[PathBuf],
        output: Option<&Path>,
    ) -> Result<Ledger, CliError> {
        let resolved = resolve(path);
        let usage = |why: String| Err(CliError::Usage(format!("--new {}: {why}", path.display())));
        for input in inputs {
            let Ok(input_resolved) = std::fs::canonicalize(input) else {
                continue; // reported when the inputs are read
            };
            if resolved == input_resolved {
                return usage("is also an input; keep the ledger apart from the envelopes".into());
            }
            if input_resolved.is_dir() && resolved.parent() == Some(input_resolved.as_path()) {
                return usage(format!(
                    "is inside the input directory {}, where it would be read as an envelope; \
                     keep it elsewhere",
                    input.display()
                ));
            }
        }
        if output.is_some_and(|output| resolve(output) == resolved) {
            return usage("is also the output file".into());
        }
        let io = |source| CliError::Io {
            path: path.to_owned(),
            source,
        };
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(io)?;
        let mut text = String::new();
        if file.read_to_string(&mut text).is_err() {
            return usage(
                "is not a ledger of submission ids (not text); is it the right file?".into(),
            );
        }
        let mut ids = HashSet::new();
        for (number, line) in text.lines().enumerate() {
            let id = line.trim();
            if id.is_empty() {
                continue;
            }
            if !is_submission_id(id) {
                return usage(format!(
                    "line {} is not a submission id (32 hex digits); is it the right file?",
                    number + 1
                ));
            }
            ids.insert(id.to_owned());
        }
        Ok(Ledger {
            path: path.to_owned(),
            file,
            ids,
            ends_with_line_break: text.is_empty() || text.ends_with('\n'),
        })
    }

    /// The ledger's path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the submission with this id (hex) was opened before.
    pub fn contains(&self, submission_id: &str) -> bool {
        self.ids.contains(submission_id)
    }

    /// Appends the ids not listed yet, each on its own line, and syncs the file to disk.
    pub fn append(
        &mut self,
        submission_ids: impl IntoIterator<Item = String>,
    ) -> Result<(), CliError> {
        let mut text = String::new();
        if !self.ends_with_line_break {
            text.push('\n');
        }
        for id in submission_ids {
            if !self.ids.contains(&id) {
                text.push_str(&id);
                text.push('\n');
                self.ids.insert(id);
            }
        }
        if text.trim().is_empty() {
            return Ok(());
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_all())
            .map_err(|source| CliError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.ends_with_line_break = true;
        Ok(())
    }
}

/// `path` made absolute with symbolic links resolved, also when the file does not exist yet
/// (then through its directory).
fn resolve(path: &Path) -> PathBuf {
    if let Ok(resolved) = std::fs::canonicalize(path) {
        return resolved;
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(directory), path.file_name()) {
        (Ok(directory), Some(name)) => directory.join(name),
        _ => path.to_owned(),
    }
}

/// 32 lower-case hex digits, as `open` prints submission ids.
fn is_submission_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submission_ids_are_32_lower_case_hex_digits() {
        assert!(is_submission_id("00112233445566778899aabbccddeeff"));
        for not in [
            "",
            "00112233445566778899AABBCCDDEEFF",
            "00112233445566778899aabbccddeef",
            "00112233445566778899aabbccddeeff0",
            "0011223344556677 899aabbccddeeff",
        ] {
            assert!(!is_submission_id(not), "{not}");
        }
    }
}
