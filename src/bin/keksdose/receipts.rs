//! `keksdose receipts --db FILE --tenant T`: a tenant's consent log — export, lookup, verify.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use keksdose::collector;
use keksdose::consent::record::Record;
use keksdose::strings::{hex, utc};
use serde_json::{Value, json};

use crate::csv::{self, Format};
use crate::error::CliError;
use crate::files;

/// Export, look up and verify a tenant's consent records (the consent log in the collector's
/// database).
///
/// The log is a hash chain per tenant: --verify recomputes it and prints its head (entry number
/// and hash); keep that head in the audit file, and a later verification that passes through it
/// shows that nothing before it was changed, inserted or deleted.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  keksdose receipts --db keksdose.sqlite --tenant musterstadt --verify\n  keksdose receipts --db keksdose.sqlite --tenant musterstadt --delete-older-than 1095\n  keksdose receipts --db keksdose.sqlite --tenant musterstadt --consent-id q3v1b1BzQ2VgYtV5nH0x4w\n  keksdose receipts --db keksdose.sqlite --tenant musterstadt --format csv-excel --output nachweise.csv"
)]
pub struct Args {
    /// The collector's store: its SQLite file or postgres:// URL.
    #[arg(long = "db", value_name = "FILE|URL")]
    database: String,
    /// The tenant whose records to show; never another's.
    #[arg(long, value_name = "TENANT", value_parser = crate::tenant_name)]
    tenant: String,
    /// Only the records of this consent ID (a visitor's request under Art. 15).
    // A consent ID is base64url and may start with `-`.
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    consent_id: Option<String>,
    /// Verify the tenant's chain instead of exporting.
    #[arg(long, conflicts_with_all = ["consent_id", "output"])]
    verify: bool,
    /// Retention: delete the tenant's records received more than DAYS ago (the oldest first;
    /// the rest still verifies). Run it daily, e.g. from cron.
    #[arg(long, value_name = "DAYS", conflicts_with_all = ["consent_id", "output", "verify"])]
    delete_older_than: Option<u64>,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Write there instead of to standard output (never overwritten).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Exports or verifies; exit status 1 when the chain is broken.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    // A missing SQLite file is an error here: deleting opens the store for writing, which would
    // create it.
    if let Some(path) = collector::sqlite_path(&args.database).filter(|p| !p.is_file()) {
        return Err(CliError::Io {
            path: path.to_owned(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    if let Some(days) = args.delete_older_than {
        let log = collector::open(&args.database, false).map_err(CliError::Database)?;
        let cutoff = collector::days_ago(days);
        let deleted = log
            .delete_records_before(&args.tenant, cutoff)
            .map_err(CliError::Database)?;
        println!(
            "{}: deleted {deleted} records received before {}",
            args.tenant,
            utc(cutoff)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let log = collector::open(&args.database, true).map_err(CliError::Database)?;
    if args.verify {
        return Ok(
            match collector::verify(&*log, &args.tenant).map_err(CliError::Database)? {
                Ok(verified) => {
                    println!(
                        "{}: chain intact, {} records, head #{} {}",
                        args.tenant, verified.entries, verified.head_seq, verified.head_hash
                    );
                    ExitCode::SUCCESS
                }
                Err(broken) => {
                    eprintln!(
                        "{}: chain broken at entry {}: {}",
                        args.tenant, broken.seq, broken.why
                    );
                    ExitCode::FAILURE
                }
            },
        );
    }
    let entries = log
        .entries(&args.tenant, args.consent_id.as_deref())
        .map_err(CliError::Database)?;
    let text = match args.format {
        Format::Json => {
            let list: Vec<Value> = entries
                .iter()
                .map(|entry| {
                    json!({
                        "seq": entry.seq,
                        "received": utc(entry.received),
                        "hash": hex(&entry.hash),
                        // Stored only after it was read as a record; kept as received.
                        "record": serde_json::from_str::<Value>(&entry.record).unwrap_or(Value::Null),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
        }
        Format::Csv => table(&entries, ","),
        Format::CsvExcel => csv::excel(&table(&entries, ";")),
    };
    match &args.output {
        Some(path) => files::create_new_private(path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|source| CliError::Io {
                path: path.clone(),
                source,
            })?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// One row per record: the entry and the record's fields; decisions as `name=given` lines.
fn table(entries: &[collector::Entry], separator: &str) -> String {
    let mut out = String::new();
    let header = [
        "seq",
        "received",
        "record_id",
        "consent_id",
        "timestamp",
        "method",
        "withdrawal",
        "categories",
        "services",
        "language",
        "revision",
        "config_hash",
        "expires_at",
    ];
    csv::push_row(&mut out, separator, header.iter().map(|h| h.to_string()));
    for entry in entries {
        let Ok(record) = Record::from_json(&entry.record) else {
            continue;
        };
        let decisions = |states: &[(String, bool)]| {
            states
                .iter()
                .map(|(name, given)| format!("{name}={}", if *given { "given" } else { "refused" }))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let row = [
            entry.seq.to_string(),
            utc(entry.received),
            record.record_id.clone(),
            record.consent_id.clone(),
            utc(record.timestamp),
            record.method.as_str().to_owned(),
            record.withdrawal.to_string(),
            decisions(&record.categories),
            decisions(&record.services),
            record.language.to_owned(),
            record.revision.clone(),
            record.config_hash.clone(),
            utc(record.expires_at),
        ];
        csv::push_row(&mut out, separator, row.into_iter());
    }
    out
}
