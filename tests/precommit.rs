//! The pre-commit hooks as pre-commit runs them: the real `pre-commit` (pinned in
//! tests/e2e/requirements.txt) on a scratch repository holding a template, a plan and the YAML and
//! JSON files every repository has, with this repository's `.pre-commit-hooks.yaml`. Needs
//! `make tools` first.

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with the Lambda end-to-end tests, which use more of it
mod harness;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const COMPLIANT_TEMPLATE: &str = "AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Orders:
    Type: AWS::MSK::Cluster
    Properties:
      ClientAuthentication:
        Tls:
          CertificateAuthorityArnList: [arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1]
      EncryptionInfo:
        EncryptionInTransit:
          ClientBroker: TLS
";

const OPEN_TEMPLATE: &str = "Resources:
  Open:
    Type: AWS::MSK::Cluster
    Properties:
      ClusterName: open
";

const PLAN: &str = r#"{"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {},
 "resource_changes": [{"address": "aws_msk_cluster.events", "type": "aws_msk_cluster", "name": "events",
  "change": {"actions": ["create"], "after": {"client_authentication": [{"unauthenticated": false,
   "tls": [{"certificate_authority_arns": ["arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1"]}]}],
   "encryption_info": [{"encryption_in_transit": [{"client_broker": "TLS", "in_cluster": true}]}]},
  "after_unknown": {}}}]}"#;

/// Files that are neither a template nor a plan, as every repository has them.
const UNRELATED: &[(&str, &str)] = &[
    ("package.json", r#"{"name": "web", "version": "1.0.0", "scripts": {"test": "jest"}}"#),
    (".github/workflows/ci.yml", "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"),
    ("k8s/app.yaml", "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Service\n"),
    ("tsconfig.json", "{\n  // comments are allowed here\n  \"compilerOptions\": {}\n}\n"),
];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("msk-precommit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository of hooks holding this repository's `.pre-commit-hooks.yaml` as it is now (the
/// `system` hook needs nothing else), and its commit.
fn hooks_repository() -> (PathBuf, String) {
    let dir = scratch("hooks");
    let hooks = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    write(&dir, ".pre-commit-hooks.yaml", &hooks);
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "hooks"]);
    let rev = Command::new("git")
        .current_dir(&dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    (
        dir,
        String::from_utf8(rev.stdout).unwrap().trim().to_owned(),
    )
}

/// `pre-commit run --all-files` in `project`, with the binary under test first on PATH as
/// `msk-mtls-rule` (what `cargo install` puts there): its exit status and everything it said.
fn pre_commit(project: &Path) -> (Option<i32>, String) {
    let python = harness::python();
    let pre_commit = python.with_file_name("pre-commit");
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_msk-mtls-rule"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output: Output = Command::new(pre_commit)
        .current_dir(project)
        .args(["run", "--all-files", "--color", "never"])
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", project.with_extension("cache"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), said)
}

#[test]
fn the_hook_passes_unrelated_files_and_fails_an_open_cluster() {
    let (hooks, rev) = hooks_repository();
    let project = scratch("project");
    write(
        &project,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: msk-mtls-check\n",
            hooks.display()
        ),
    );
    write(&project, "infra/orders.yaml", COMPLIANT_TEMPLATE);
    write(&project, "plan.json", PLAN);
    for (name, text) in UNRELATED {
        write(&project, name, text);
    }
    git(&project, &["init", "-q"]);
    git(&project, &["add", "."]);

    let (code, said) = pre_commit(&project);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("MSK clusters enforce mutual TLS") && said.contains("Passed"),
        "{said}"
    );

    // An open cluster, in a `.template` file written in YAML.
    write(&project, "infra/open.template", OPEN_TEMPLATE);
    git(&project, &["add", "."]);
    let (code, said) = pre_commit(&project);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("Failed") && said.contains("open.template") && said.contains("NON_COMPLIANT"),
        "{said}"
    );
    for dir in [hooks, project.clone(), project.with_extension("cache")] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
