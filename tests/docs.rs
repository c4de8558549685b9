//! Every command the README and docs/ show is tried, so a documented command that stops working
//! fails a test. Each `sh` block says how it is tried, after the language in its fence:
//!
//! - ` ```sh `: run offline from the repository's root, the built `msk-mtls-rule` first on PATH; it
//!   must exit 0, or the status its line's `# exit N` comment gives.
//! - ` ```sh aws `: run the same way against the AWS emulator (moto), with credentials and a region;
//!   it must finish without a usage error (2) or a panic: the emulator holds no clusters, so what it
//!   finds is not the point, that the command and its flags work is.
//! - ` ```sh example `: holds placeholders or files a reader has; each `msk-mtls-rule` line's
//!   subcommand and flags must be ones that subcommand's `--help` lists.
//! - ` ```sh aws-cli `: AWS CLI commands against a real account: every JSON argument must parse.
//! - ` ```sh deploy ` and ` ```sh setup `: every `make` target named must exist (`make -n`); the
//!   setup commands themselves are what CI runs.
//!
//! A block of another kind, or a runnable one that holds a `<placeholder>`, fails the test.

#[path = "e2e/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::{binary, Emulator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Offline,
    Aws,
    Example,
    AwsCli,
    Make,
}

#[derive(Debug)]
struct Block {
    place: String,
    kind: Kind,
    commands: Vec<String>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The documents a user reads: the README, docs/, BENCHMARKS.md and the samples' README.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![
        root().join("README.md"),
        root().join("BENCHMARKS.md"),
        root().join("events/hook/README.md"),
    ];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// Every `sh` block of every document, its commands with continued lines joined.
fn blocks() -> Vec<Block> {
    let mut found = Vec::new();
    for path in documents() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.strip_prefix(root()).unwrap().display().to_string();
        let mut lines = text.lines().enumerate();
        while let Some((number, line)) = lines.next() {
            let Some(info) = line.strip_prefix("```sh") else {
                continue;
            };
            let place = format!("{name}:{}", number + 1);
            let kind = match info.trim() {
                "" => Kind::Offline,
                "aws" => Kind::Aws,
                "example" => Kind::Example,
                "aws-cli" => Kind::AwsCli,
                "deploy" | "setup" => Kind::Make,
                other => panic!("{place}: ```sh {other} is not a kind this test knows"),
            };
            let mut commands = Vec::new();
            let mut current = String::new();
            for (_, line) in lines.by_ref() {
                if line.starts_with("```") {
                    break;
                }
                let line = line.trim();
                if line.is_empty() || (current.is_empty() && line.starts_with('#')) {
                    continue;
                }
                match line.strip_suffix('\\') {
                    Some(start) => current.push_str(start),
                    None => {
                        current.push_str(line);
                        commands.push(std::mem::take(&mut current));
                    }
                }
            }
            assert!(current.is_empty(), "{place}: a continued line never ends");
            found.push(Block {
                place,
                kind,
                commands,
            });
        }
    }
    found
}

/// The exit status a command promises: its `# exit N` comment, else 0.
fn promised_status(command: &str) -> i32 {
    command
        .split_once("# exit ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}

/// Runs `command` with bash from the repository's root, the built command line first on PATH and
/// nothing of this machine's AWS set-up.
fn run(command: &str, aws: &[(&str, String)]) -> Output {
    let bin_dir = binary().parent().unwrap().to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = std::env::temp_dir().join(format!("msk-mtls-rule-docs-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut bash = Command::new("bash");
    bash.arg("-c")
        .arg(command)
        .current_dir(root())
        .env_clear()
        .env("PATH", path)
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    for (name, value) in aws {
        bash.env(name, value);
    }
    bash.output().unwrap()
}

fn said(output: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn assert_no_placeholder(place: &str, command: &str) {
    let code = command.split(" # ").next().unwrap_or(command);
    let angle_brackets = code.contains('<') && code.contains('>') && !code.contains(" < ");
    assert!(
        !angle_brackets && !code.contains('…'),
        "{place}: `{command}` holds a placeholder: mark the block ```sh example"
    );
}

#[test]
fn every_block_is_of_a_known_kind_and_the_readme_has_each_first_step() {
    let blocks = blocks();
    let readme: Vec<&Block> = blocks
        .iter()
        .filter(|block| block.place.starts_with("README.md:"))
        .collect();
    let kinds: Vec<Kind> = readme.iter().map(|block| block.kind).collect();
    for kind in [Kind::Offline, Kind::Aws, Kind::Example, Kind::Make] {
        assert!(kinds.contains(&kind), "the README has no {kind:?} block");
    }
    assert!(blocks.len() >= 15, "{blocks:#?}");
}

/// The offline commands, each run: exit 0 or the status it promises.
#[test]
fn every_offline_command_runs_and_exits_as_it_says() {
    for block in blocks().iter().filter(|block| block.kind == Kind::Offline) {
        for command in &block.commands {
            assert_no_placeholder(&block.place, command);
            let output = run(command, &[]);
            assert_eq!(
                output.status.code(),
                Some(promised_status(command)),
                "{}: `{command}`: {}",
                block.place,
                said(&output)
            );
            assert!(
                !said(&output).contains("panicked"),
                "{}: {command}",
                block.place
            );
        }
    }
}

/// The commands that need AWS, against the emulator: each finishes, none is a usage error.
#[test]
fn every_aws_command_runs_against_the_emulator() {
    let emulator = Emulator::start();
    let aws = [
        ("AWS_ENDPOINT_URL", emulator.endpoint()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "AKIAE2EEXAMPLEKEY000".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "docs-secret".to_owned()),
    ];
    let mut ran = 0;
    for block in blocks().iter().filter(|block| block.kind == Kind::Aws) {
        for command in &block.commands {
            assert_no_placeholder(&block.place, command);
            let output = run(command, &aws);
            let status = output.status.code();
            assert!(
                matches!(status, Some(0 | 1 | 3)) && !said(&output).contains("panicked"),
                "{}: `{command}`: {}",
                block.place,
                said(&output)
            );
            ran += 1;
        }
    }
    assert!(ran >= 3, "{ran} commands");
    assert!(
        emulator.calls().len() >= ran,
        "the commands reached the emulator"
    );
}

/// `msk-mtls-rule` and the words after it, as a shell would split them (quotes kept together).
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    for c in command.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            (None, ' ') => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (_, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The example commands' subcommands and flags, each one the subcommand's help lists.
#[test]
fn every_example_command_names_flags_that_exist() {
    let mut checked = 0;
    for block in blocks().iter().filter(|block| block.kind == Kind::Example) {
        for command in &block.commands {
            let words = words(command.split(" # ").next().unwrap_or(command));
            let Some(start) = words.iter().position(|word| word == "msk-mtls-rule") else {
                continue;
            };
            let subcommand = &words[start + 1];
            let help = Command::new(binary())
                .args([subcommand.as_str(), "--help"])
                .output()
                .unwrap();
            assert_eq!(
                help.status.code(),
                Some(0),
                "{}: `{command}`: no subcommand {subcommand}",
                block.place
            );
            let help = String::from_utf8_lossy(&help.stdout);
            for flag in words[start + 2..]
                .iter()
                .filter(|word| word.starts_with("--"))
            {
                let flag = flag.split('=').next().unwrap();
                assert!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                    "{}: `{command}`: {subcommand} has no {flag}",
                    block.place
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "{checked} flags");
}

/// AWS CLI commands are not run (they change an account), but each JSON argument must parse.
#[test]
fn every_aws_cli_command_carries_valid_json() {
    for block in blocks().iter().filter(|block| block.kind == Kind::AwsCli) {
        for command in &block.commands {
            assert!(command.starts_with("aws "), "{}: `{command}`", block.place);
            for word in words(command).iter().filter(|word| word.starts_with('{')) {
                serde_json::from_str::<serde_json::Value>(word)
                    .unwrap_or_else(|e| panic!("{}: {word}: {e}", block.place));
            }
        }
    }
}

/// The make targets the set-up and deploy blocks name exist.
#[test]
fn every_make_target_named_exists() {
    let mut checked = 0;
    for block in blocks().iter().filter(|block| block.kind == Kind::Make) {
        for command in &block.commands {
            let words = words(command.split(" # ").next().unwrap_or(command));
            if words.first().map(String::as_str) != Some("make") {
                continue;
            }
            let output = Command::new("make")
                .arg("-n")
                .args(&words[1..])
                .current_dir(root())
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}: `{command}`: {}",
                block.place,
                said(&output)
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "{checked} make commands");
}

/// A heading's anchor as GitHub writes it: lower case, spaces to hyphens, punctuation dropped.
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every relative link of the documents points at a file that exists, and at a heading of it when
/// it names one.
#[test]
fn every_relative_link_points_at_a_file_and_heading_that_exist() {
    let mut checked = 0;
    for document in documents() {
        let text = std::fs::read_to_string(&document).unwrap();
        for (start, _) in text.match_indices("](") {
            let rest = &text[start + 2..];
            let Some(end) = rest.find(')') else { continue };
            let link = &rest[..end];
            if link.starts_with("http") || link.contains(' ') || link.starts_with('#') {
                continue;
            }
            let (path, anchor) = link.split_once('#').unwrap_or((link, ""));
            let target = document.parent().unwrap().join(path);
            assert!(target.exists(), "{}: {link}", document.display());
            if !anchor.is_empty() {
                let headings: Vec<String> = std::fs::read_to_string(&target)
                    .unwrap()
                    .lines()
                    .filter_map(|line| line.strip_prefix('#'))
                    .map(|heading| anchor_of(heading.trim_start_matches('#')))
                    .collect();
                assert!(
                    headings.iter().any(|heading| heading == anchor),
                    "{}: {link}: no such heading in {headings:?}",
                    document.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} links");
}
