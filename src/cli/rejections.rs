//! `msk-mtls-rule rejections FILE...`: the clients the brokers refused, counted from broker log
//! files (as MSK writes them to S3, gzip or not, or saved from CloudWatch Logs), the way the
//! function counts a subscription's lines.

use std::io::{BufRead, BufReader, Read};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::json;

use crate::edge::broker_log::Tally;
use crate::error::exit;

/// Addresses shown, the most refused first.
const TOP_ADDRESSES: usize = 10;

#[derive(Debug, Args)]
pub struct RejectionsArgs {
    /// Broker log files, plain or gzip (MSK's S3 delivery writes `.gz`); `-` reads standard input
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// Prints the refusals of every file together; exit 0 when every file was read (refusals are the
/// control working, not a finding), 2 when one cannot be.
pub async fn run(args: RejectionsArgs) -> ExitCode {
    let mut tally = Tally::default();
    for file in &args.files {
        if let Err(error) = count_file(file, &mut tally) {
            eprintln!("msk-mtls-rule: rejections: {file}: {error}");
            return ExitCode::from(exit::USAGE_OR_UNREADABLE_INPUT);
        }
    }
    let top = tally.top_addresses(TOP_ADDRESSES);
    match args.format {
        Format::Table => {
            println!(
                "{} lines: {} TLS handshakes refused, {} SASL authentications refused",
                tally.lines, tally.rejected_handshakes, tally.failed_sasl_authentications
            );
            for (address, count) in &top {
                println!("{count:>8}  {address}");
            }
        }
        Format::Json => println!(
            "{:#}",
            json!({
                "lines": tally.lines,
                "rejectedHandshakes": tally.rejected_handshakes,
                "failedSaslAuthentications": tally.failed_sasl_authentications,
                "topAddresses": top.iter().map(|(address, count)| json!({"address": address, "refusals": count})).collect::<Vec<_>>(),
            })
        ),
    }
    ExitCode::from(exit::NOTHING_FOUND)
}

/// Counts a file's lines, through gzip when it starts with gzip's magic bytes.
fn count_file(file: &str, tally: &mut Tally) -> std::io::Result<()> {
    let reader: Box<dyn Read> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(file)?)
    };
    let mut reader = BufReader::new(reader);
    let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let lines: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    };
    for line in lines.split(b'\n') {
        tally.count(&String::from_utf8_lossy(&line?));
    }
    Ok(())
}
