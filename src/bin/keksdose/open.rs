//! `keksdose open --key FILE INPUT...`: sealed submissions → JSON or CSV (and attachments).
//!
//! Inputs are envelope files, directories of them, or the collector's SQLite database; none is
//! ever written to. Everything decrypted is untrusted: CSV cells that a spreadsheet would run as
//! a formula are neutralised, field columns cannot pose as the fixed ones, attachment names are
//! sanitised and never replace a file, and messages escape control characters. What is written
//! (output, attachments) is readable only by the user. With `--new LEDGER` only submissions not
//! opened before are opened, and the ids of those opened are added to the ledger once the output
//! is written.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use keksdose::seal::envelope::{self, Header, Opened};
use keksdose::seal::keys::SecretKey;
use keksdose::strings::{hex, utc};
use serde_json::{Value, json};

use crate::csv::{self, Format};
use crate::error::CliError;
use crate::files;
use crate::keyfile::{self, PassphraseSource};
use crate::ledger::Ledger;

/// Open sealed submissions to JSON or CSV, and save their attachments.
///
/// Inputs are envelope files, directories of them, or the collector's inbox database; none is
/// ever written to, and nothing is overwritten.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  keksdose open --key controller.key --format csv --output kontakt.csv keksdose.sqlite
  keksdose open --key controller.key --new geoeffnet.txt --output neu.json keksdose-daten/inbox/musterstadt")]
pub struct Args {
    /// The secret key file (from `keksdose keygen`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    #[command(flatten)]
    passphrase: PassphraseSource,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Write there instead of to standard output (never overwritten).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Save attachments under DIR/<submission id>/.
    #[arg(long, value_name = "DIR")]
    attachments: Option<PathBuf>,
    /// Open only submissions whose id LEDGER does not list, and add the ids of those opened
    /// once the output is written (created if missing; only ever appended to).
    #[arg(long = "new", value_name = "LEDGER")]
    ledger: Option<PathBuf>,
    /// Envelope files, directories of them, the collector's SQLite file, or its postgres:// URL.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// One envelope to open and where it came from; or why a database row holds none.
struct Input {
    source: String,
    bytes: Result<Vec<u8>, String>,
}

/// One opened submission, as written out.
struct Record {
    source: String,
    opened: Opened,
    replay_of: Option<String>,
    saved: Vec<Option<PathBuf>>,
    /// Whether all of it was written: every attachment saved, when asked to.
    complete: bool,
}

/// Opens every input; exit status 1 when any could not be opened.
pub fn run(options: Args) -> Result<ExitCode, CliError> {
    // Refuse an existing output before asking for a passphrase or decrypting anything.
    if let Some(output) = &options.output {
        if output.exists() {
            return Err(CliError::Usage(format!(
                "{} exists; keksdose never overwrites an output file",
                output.display()
            )));
        }
    }
    let mut ledger = options
        .ledger
        .as_deref()
        .map(|path| Ledger::open(path, &options.inputs, options.output.as_deref()))
        .transpose()?;
    let secret = keyfile::read(&options.key, &options.passphrase)?;
    let mut inputs = collect_inputs(&options.inputs)?;
    if let Some(ledger) = &ledger {
        let before = inputs.len();
        inputs.retain(|input| !opened_before(input, ledger));
        eprintln!(
            "keksdose: skipped {} submission(s) opened before (listed in {})",
            before - inputs.len(),
            ledger.path().display()
        );
    }
    let (records, failures) = open_all(&secret, inputs, options.attachments.as_deref())?;
    let text = match options.format {
        Format::Json => json_output(&records),
        Format::Csv => csv_output(&records, ","),
        Format::CsvExcel => csv::excel(&csv_output(&records, ";")),
    };
    match &options.output {
        Some(path) => {
            let mut file = files::create_new_private(path).map_err(|source| CliError::Io {
                path: path.clone(),
                source,
            })?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|source| CliError::Io {
                    path: path.clone(),
                    source,
                })?;
        }
        None => {
            let mut stdout = io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|source| CliError::Io {
                    path: "standard output".into(),
                    source,
                })?;
        }
    }
    // Only now, with the output written: a run that fails before re-offers everything.
    if let Some(ledger) = &mut ledger {
        let written = records.iter().filter(|record| record.complete);
        ledger.append(written.map(|record| record.opened.header.submission_id_hex()))?;
    }
    eprintln!(
        "keksdose: opened {} submission(s){}",
        records.len(),
        if failures > 0 {
            format!(", {failures} could not be opened (see above)")
        } else {
            String::new()
        }
    );
    Ok(if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Files, the files of directories (sorted, not recursive), and the rows of inbox databases.
fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, CliError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| CliError::Io { path, source }
    };
    let mut inputs = Vec::new();
    for path in paths {
        let location = path.to_string_lossy();
        if keksdose::collector::sqlite_path(&location).is_none() {
            inputs.extend(stored_envelopes(&location)?);
        } else if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io(path))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for file in files {
                inputs.push(Input {
                    source: file.display().to_string(),
                    bytes: Ok(std::fs::read(&file).map_err(io(&file))?),
                });
            }
        } else if is_sqlite(path).map_err(io(path))? {
            inputs.extend(stored_envelopes(&location)?);
        } else {
            inputs.push(Input {
                source: path.display().to_string(),
                bytes: Ok(std::fs::read(path).map_err(io(path))?),
            });
        }
    }
    Ok(inputs)
}

/// The submissions of the collector's store at `location`, opened for reading only; each
/// named `location#row`.
fn stored_envelopes(location: &str) -> Result<Vec<Input>, CliError> {
    let store = keksdose::collector::open(location, true).map_err(CliError::Database)?;
    let envelopes = store.envelopes().map_err(CliError::Database)?;
    Ok(envelopes
        .into_iter()
        .map(|(row, bytes)| Input {
            source: format!("{location}#{row}"),
            bytes,
        })
        .collect())
}

/// Whether `input` is a submission the ledger lists, by the id in its clear-text header. One
/// whose header cannot be read is opened, so that its error is reported.
fn opened_before(input: &Input, ledger: &Ledger) -> bool {
    match &input.bytes {
        Ok(bytes) => Header::parse(bytes)
            .is_ok_and(|(header, _)| ledger.contains(&header.submission_id_hex())),
        Err(_) => false,
    }
}

fn is_sqlite(path: &Path) -> io::Result<bool> {
    use std::io::Read;
    let mut magic = [0u8; 16];
    let read = std::fs::File::open(path)?.read(&mut magic)?;
    Ok(read == 16 && &magic == b"SQLite format 3\0")
}

/// Opens the inputs, reporting failures and replays on stderr as it goes.
fn open_all(
    secret: &SecretKey,
    inputs: Vec<Input>,
    attachments: Option<&Path>,
) -> Result<(Vec<Record>, usize), CliError> {
    let total = inputs.len();
    let mut records = Vec::new();
    let mut failures = 0;
    let mut by_id: HashMap<[u8; 16], String> = HashMap::new();
    let mut by_enc: HashMap<[u8; 32], String> = HashMap::new();
    let mut last_report = Instant::now();
    for (done, input) in inputs.into_iter().enumerate() {
        if last_report.elapsed() > Duration::from_secs(1) {
            eprintln!("keksdose: opened {done} of {total} …");
            last_report = Instant::now();
        }
        let bytes = match input.bytes {
            Ok(bytes) => bytes,
            Err(why) => {
                eprintln!("{}: {why}; skipped", input.source);
                failures += 1;
                continue;
            }
        };
        let opened = match envelope::open(secret, &bytes) {
            Ok(opened) => opened,
            Err(error) => {
                // The message may quote decrypted text (a manifest's unknown key, say).
                eprintln!("{}: {}", input.source, error.to_string().escape_debug());
                failures += 1;
                continue;
            }
        };
        let replay_of = by_id
            .get(&opened.header.submission_id)
            .or_else(|| by_enc.get(&opened.enc))
            .cloned();
        if let Some(first) = &replay_of {
            eprintln!(
                "{}: replay: submission {} (enc {}) was already in {first}",
                input.source,
                opened.header.submission_id_hex(),
                hex(&opened.enc)
            );
        } else {
            by_id.insert(opened.header.submission_id, input.source.clone());
            by_enc.insert(opened.enc, input.source.clone());
        }
        let mut complete = true;
        let saved = match attachments {
            Some(dir) => {
                let saved = save_attachments(dir, &opened);
                for error in saved.iter().filter_map(|s| s.as_ref().err()) {
                    eprintln!("{}: attachment not saved: {error}", input.source);
                    failures += 1;
                    complete = false;
                }
                saved.into_iter().map(Result::ok).collect()
            }
            None => vec![None; opened.files.len()],
        };
        records.push(Record {
            source: input.source,
            opened,
            replay_of,
            saved,
            complete,
        });
    }
    Ok((records, failures))
}

/// Writes each attachment to `dir/<submission id>/<sanitised name>`, never over a file;
/// a name taken gets " (2)", " (3)", … before its extension.
fn save_attachments(dir: &Path, opened: &Opened) -> Vec<Result<PathBuf, CliError>> {
    if opened.files.is_empty() {
        return Vec::new();
    }
    let folder = dir.join(opened.header.submission_id_hex());
    if let Err(source) = files::create_private_dir(&folder) {
        let error = || CliError::Io {
            path: folder.clone(),
            source: io::Error::new(source.kind(), source.to_string()),
        };
        return opened.files.iter().map(|_| Err(error())).collect();
    }
    // The next number to try per name: many files of one name cost no quadratic retries.
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut saved = Vec::new();
    for (entry, bytes) in opened.manifest.files.iter().zip(&opened.files) {
        let name = sanitise_file_name(&entry.name);
        let (stem, extension) = match name.rsplit_once('.') {
            Some((stem, extension)) if !stem.is_empty() => (stem, format!(".{extension}")),
            _ => (name.as_str(), String::new()),
        };
        let mut attempt = next.get(&name).copied().unwrap_or(1);
        let result = loop {
            let candidate = match attempt {
                1 => name.clone(),
                n => format!("{stem} ({n}){extension}"),
            };
            attempt += 1;
            let path = folder.join(candidate);
            match files::create_new_private(&path) {
                Ok(mut file) => {
                    break match file.write_all(bytes) {
                        Ok(()) => Ok(path),
                        Err(source) => Err(CliError::Io { path, source }),
                    };
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(source) => break Err(CliError::Io { path, source }),
            }
        };
        next.insert(name.clone(), attempt);
        saved.push(result);
    }
    saved
}

/// A file name that is safe on every common file system and shows what it is: no directories,
/// no control, reserved or invisible characters (a right-to-left override can make `exe` look
/// like `pdf`; Unicode tag characters hide text), no leading dots, no trailing dots or spaces
/// (Windows drops them), no Windows device names, at most 200 bytes.
fn sanitise_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_control() || is_invisible(c) || "<>:\"|?*".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trim = |text: &str| -> String {
        text.trim_matches(|c: char| c == '.' || c.is_whitespace())
            .to_owned()
    };
    let mut safe = String::new();
    for c in trim(&cleaned).chars() {
        if safe.len() + c.len_utf8() > 200 {
            break;
        }
        safe.push(c);
    }
    // Cutting may leave a dot or space at the end.
    let mut safe = trim(&safe);
    if safe.is_empty() {
        safe = "attachment".into();
    }
    if is_windows_device(&safe) {
        safe.insert(0, '_');
    }
    safe
}

/// Whether Windows takes `name` for a device (`CON`, `NUL.txt`, `COM¹.pdf`, `CONIN$`): the part
/// before the first dot, without trailing spaces, in any case.
fn is_windows_device(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_uppercase();
    if matches!(
        stem.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) {
        return true;
    }
    let Some(number) = stem
        .strip_prefix("COM")
        .or_else(|| stem.strip_prefix("LPT"))
    else {
        return false;
    };
    let mut digits = number.chars();
    matches!(
        (digits.next(), digits.next()),
        (Some('0'..='9' | '¹' | '²' | '³'), None)
    )
}

/// Characters that show nothing or change how the rest reads: Unicode's default-ignorable code
/// points (zero-width characters, bidirectional controls, variation selectors, fillers, the
/// soft hyphen, the byte order mark, tag characters U+E0000–E007F) and the interlinear
/// annotation controls.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

fn json_output(records: &[Record]) -> String {
    let list: Vec<Value> = records
        .iter()
        .map(|record| {
            let header = &record.opened.header;
            let files: Vec<Value> = record
                .opened
                .manifest
                .files
                .iter()
                .zip(&record.saved)
                .map(|(file, saved)| {
                    let mut value = json!({
                        "field": file.field,
                        "name": file.name,
                        "type": file.media_type,
                        "size": file.size,
                        "sha256": file.sha256,
                    });
                    if let Some(path) = saved {
                        value["savedAs"] = json!(path.display().to_string());
                    }
                    value
                })
                .collect();
            let mut value = json!({
                "source": record.source,
                "submissionId": header.submission_id_hex(),
                "created": utc(header.created),
                "tenant": header.tenant,
                "formId": header.form_id,
                "origin": header.origin,
                "kid": header.kid.to_string(),
                "fields": record.opened.manifest.fields,
                "files": files,
            });
            if let Some(first) = &record.replay_of {
                value["replayOf"] = json!(first);
            }
            value
        })
        .collect();
    // Serialising JSON values cannot fail.
    serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
}

/// One row per submission; one column per field name (first seen first), headed `field:NAME` so
/// that no field can pose as a fixed column; repeated values of a name joined by line breaks.
fn csv_output(records: &[Record], separator: &str) -> String {
    let mut names: Vec<&str> = Vec::new();
    for record in records {
        for (name, _) in &record.opened.manifest.fields {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let fixed = [
        "source",
        "submission_id",
        "created",
        "tenant",
        "form_id",
        "origin",
        "replay_of",
    ];
    let mut out = String::new();
    let header = fixed
        .iter()
        .map(|name| name.to_string())
        .chain(names.iter().map(|name| format!("field:{name}")))
        .chain(["attachments".to_string()]);
    csv::push_row(&mut out, separator, header);
    for record in records {
        let header = &record.opened.header;
        let mut row = vec![
            record.source.clone(),
            header.submission_id_hex(),
            utc(header.created),
            header.tenant.clone(),
            header.form_id.clone(),
            header.origin.clone(),
            record.replay_of.clone().unwrap_or_default(),
        ];
        for name in &names {
            let values: Vec<&str> = record
                .opened
                .manifest
                .fields
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect();
            row.push(values.join("\n"));
        }
        let files: Vec<String> = record
            .opened
            .manifest
            .files
            .iter()
            .map(|f| format!("{} ({} bytes, sha256 {})", f.name, f.size, f.sha256))
            .collect();
        row.push(files.join("\n"));
        csv::push_row(&mut out, separator, row.into_iter());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_made_safe() {
        for (given, safe) in [
            ("scan.pdf", "scan.pdf"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\x\\Lebenslauf.docx", "Lebenslauf.docx"),
            ("..hidden", "hidden"),
            ("a<b>c:d|e?f*.txt", "a_b_c_d_e_f_.txt"),
            ("con.txt", "_con.txt"),
            ("LPT1", "_LPT1"),
            ("", "attachment"),
            ("...", "attachment"),
            ("bell\u{7}.txt", "bell_.txt"),
            ("Übersicht März.pdf", "Übersicht März.pdf"),
            ("rechnung\u{202e}fdp.exe", "rechnung_fdp.exe"),
            ("a\u{200b}b", "a_b"),
            ("rechnung.pdf\u{e0065}\u{e0078}\u{e0065}", "rechnung.pdf___"),
            ("x\u{e0001}\u{fe0f}\u{034f}\u{3164}.txt", "x____.txt"),
            ("COM¹.txt", "_COM¹.txt"),
            ("lpt³", "_lpt³"),
            ("com0.log", "_com0.log"),
            ("CONIN$", "_CONIN$"),
            ("conout$.txt", "_conout$.txt"),
            ("NUL .txt", "_NUL .txt"),
            ("COM10.txt", "COM10.txt"),
            ("COM⁴.txt", "COM⁴.txt"),
            ("CONSOLE.txt", "CONSOLE.txt"),
            ("bericht.pdf.", "bericht.pdf"),
            ("bericht.exe . . ", "bericht.exe"),
            ("aux. ", "_aux"),
            (". .profile", "profile"),
        ] {
            assert_eq!(sanitise_file_name(given), safe, "{given:?}");
        }
        assert_eq!(sanitise_file_name(&"x".repeat(500)).len(), 200);
        let cut_at_dot = format!("{}.{}", "x".repeat(199), "y".repeat(50));
        assert_eq!(
            sanitise_file_name(&cut_at_dot),
            "x".repeat(199),
            "no dot at the end"
        );
        let wide = sanitise_file_name(&"😀".repeat(100));
        assert_eq!(
            (wide.len(), wide.chars().count()),
            (200, 50),
            "whole characters"
        );
    }
}
