# msk-mtls-rule: every command a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO ?= cargo
BIN := target/release/msk-mtls-rule
LAMBDA_BIN := target/release/msk-mtls-rule-lambda
# Python tools the tests need, pinned in tests/e2e/requirements.txt, in a venv of the project's own.
VENV := .venv-test
PYTHON := $(VENV)/bin/python
# Never let a test or a local run reach instance metadata or a real AWS endpoint by accident.
export AWS_EC2_METADATA_DISABLED := true

.PHONY: prerequisites help build install-check evaluate test unit e2e lint deny fuzz fmt tools zookeeper templates sam-build lambda-target deploy bench mutants mutants-diff

# Deployment tools, pinned in deploy/: SAM CLI, cfn-lint, cargo-lambda and zig in one venv; checkov in
# another, because it pins a boto3 that SAM CLI refuses.
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
TEMPLATES := template.yaml conformance-pack.yaml deploy/member-role.yaml deploy/organization-rule.yaml deploy/audit-role.yaml deploy/probe.yaml
LAMBDA_TARGET := aarch64-unknown-linux-gnu
export SAM_CLI_TELEMETRY := 0

# Tools built from the default Cargo registry at pinned versions, installed once per machine.
CARGO_DENY_VERSION := 0.20.2
CARGO_FUZZ_VERSION := 0.13.2
CARGO_MUTANTS_VERSION := 27.0.0
# Mutants built and tested at once by `make mutants`, each in its own copy of the tree: a mutant's
# build is mostly one rustc, which leaves a second core idle.
MUTANTS_JOBS ?= 2
# More cargo-mutants arguments, e.g. MUTANTS_ARGS='-f src/probe/knock.rs' for one file's mutants.
MUTANTS_ARGS ?=
# What mutants-diff tests: the change since this revision (CI: the previous commit on main).
MUTANTS_BASE ?= HEAD~1
FUZZ_TARGETS := event_parser event_to_evaluations pre_deploy_inputs
FUZZ_RUNS ?= 10000000

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

build: ## release build of the three binaries: the command line (target/release/msk-mtls-rule) and the Lambda functions (msk-mtls-rule-lambda, msk-mtls-rule-probe)
	$(CARGO) build --release --locked --bins

# What the README's install lines do, into a scratch root: from this checkout and from its git
# history (the committed HEAD), each with the lock file; then the installed command answers.
INSTALL_ROOT := target/install-check
install-check: build ## cargo install --locked of the command line, from the path and from git, then run it
	rm -rf $(INSTALL_ROOT)
	$(CARGO) install --locked --path . --bin msk-mtls-rule --root $(INSTALL_ROOT)/path --target-dir target
	$(INSTALL_ROOT)/path/bin/msk-mtls-rule --version
	$(CARGO) install --locked --git file://$(CURDIR) msk-mtls-rule --bin msk-mtls-rule --root $(INSTALL_ROOT)/git --target-dir target
	$(INSTALL_ROOT)/git/bin/msk-mtls-rule --version
	@for function in msk-mtls-rule-lambda msk-mtls-rule-probe; do \
		test ! -e $(INSTALL_ROOT)/path/bin/$$function || { echo "the function $$function was installed too"; exit 1; }; done

# The offline samples: Config events (events/*.json) and hook requests (events/hook/, with the CA
# check off as the hook's parameters can set it). events/aws/ calls AWS (or the emulator).
evaluate: build ## evaluate every offline sample in events/ and events/hook/ and print the verdicts
	@for event in events/*.json events/hook/*.json; do \
		printf '%-48s ' "$$event"; \
		HOOK_RULE_PARAMETERS='{"checkCertificateAuthorityStatus":"false"}' $(BIN) evaluate --skip-door-users --event "$$event" \
			| python3 -c 'import json,sys; out = json.load(sys.stdin); print(*(("{} {}".format(e["ComplianceType"], e.get("Annotation", "")) for e in out) if isinstance(out, list) else ["hook {} {}".format(out["hookStatus"], out["message"])]), sep="\n")' || exit 1; \
	done


tools: $(VENV)/.installed ## install the pinned test tools (moto server) into .venv-test

# A real ZooKeeper for the probe's tests (what a ZooKeeper-mode MSK cluster runs beside its brokers):
# Debian's packages of ZooKeeper 3.8.0 and the jars its server needs, pinned by version and sha256
# in tests/zookeeper/packages.txt, unpacked without installing anything; run on the machine's Java.
ZOOKEEPER_DIR := target/zookeeper
zookeeper: $(ZOOKEEPER_DIR)/.installed ## unpack the pinned ZooKeeper the probe's tests run (target/zookeeper)

$(ZOOKEEPER_DIR)/.installed: tests/zookeeper/packages.txt tests/zookeeper/install.sh
	tests/zookeeper/install.sh $(abspath $(ZOOKEEPER_DIR))

$(VENV)/.installed: tests/e2e/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt
	touch $@

$(SAM_VENV)/.installed: deploy/requirements-sam.txt
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r deploy/requirements-sam.txt
	touch $@

$(CHECKOV_VENV)/.installed: deploy/requirements-checkov.txt
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r deploy/requirements-checkov.txt
	touch $@

templates: $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed ## validate every template offline: cfn-lint, sam validate --lint, checkov, AWS limits
	$(SAM_VENV)/bin/cfn-lint $(TEMPLATES)
	$(SAM_VENV)/bin/python deploy/check_templates.py
	@for template in $(TEMPLATES); do \
		$(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template $$template || exit 1; \
	done
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation $(addprefix -f ,$(TEMPLATES))

# The arm64 bootstrap's byte budget: the function's size plus a small margin, so growth is a decision.
# Issue 27 split the function (msk-mtls-rule-lambda) from the command line and put the parts of its
# HTTP stack no request spends time in at opt-level "z": 8,370,304 -> 7,005,480 bytes (BENCHMARKS.md).
# A change that grows the function says its delta and raises this explicitly. Issue 28's ZooKeeper
# door: ListClusterOperations +75,768 bytes (7,071,600 -> 7,147,368), then DescribeClusterV2 and the
# probe's ZooKeeper knock +31,112 (-> 7,178,480); a cluster's reads sent together +6,608 (-> 7,185,088).
# Why a door is open: MSK Connect's SDK crate and the Kafka listings +295,128 (-> 7,480,216); the held
# read beside the verdict's reads and the tests' MSK Connect constructor +3,224 (-> 7,483,440, fresh-clone
# sam build at 0b846cf). Issue 32's sweep streams (held results beside the listing, a page's reads
# together, batches in flight): +65,024 (7,485,456 at 1b4b374 -> 7,550,480, cargo lambda build).
# Issue 29's trust anchor (GetPolicy, the policy reader, a CA's type and usage mode, the fleet's walk,
# the CA report's profile): +84,736 (7,550,480 at 3c20cab -> 7,635,216, cargo lambda build); then the
# scheduled probe's certificates to be refused and their naming +5,336 (-> 7,640,552, fresh-clone sam build).
# Issue 30's refused clients (CloudWatch Logs subscription events: flate2's pure-Rust inflate, the
# streamed reader, the log groups' listing, the metrics line): +122,136 (7,640,552 -> 7,762,688,
# make sam-build at the final commit; `certificates` and `rejections` are the command line's).
# Its deployed half (client certificates watched by the sweep: aws-sdk-s3 for ListObjectsV2 and a
# streamed GetObject, tokio-util's SyncIoBridge, the report requests and the alert): +706,504
# (7,762,688 -> 8,469,192, make sam-build); the project's ceiling moves from 8 MB to 8.5 MB for it
# (BENCHMARKS.md: the cold start and what a client of our own would have saved).
# Issue 31's scheduled probe became a binary of its own (msk-mtls-rule-probe, with Security Hub's
# client to send its findings): the rule's function no longer carries the knocks, 8,167,600 bytes
# (make sam-build at b9d4e0e; 8,473,144 recorded at 599777a), so its budget comes down.
BOOTSTRAP_BUDGET := 8175000
# The probe's function: the knocks, the Kafka reads and Security Hub's client, 8,756,896 bytes
# (make sam-build at b9d4e0e).
PROBE_BOOTSTRAP_BUDGET := 8765000

# Each function's arm64 bootstrap: aarch64, within its budget.
define check_bootstrap
	@python3 -c 'import os, sys; path, budget = "$(1)", $(2); elf = open(path, "rb").read(20); \
		ok = elf[:4] == b"\x7fELF" and int.from_bytes(elf[18:20], "little") == 183; size = os.path.getsize(path); \
		kind = "aarch64 ELF" if ok else "NOT an aarch64 ELF"; print(f"{path}: {kind}, {size:,} bytes, budget {budget:,}"); \
		sys.exit(0 if ok and size <= budget else 1)'
endef

sam-build: $(SAM_VENV)/.installed lambda-target ## sam build of the arm64 functions (cargo-lambda + zig): the rule's and the probe's, each aarch64 and within its budget
	PATH=$(abspath $(SAM_VENV))/bin:$$PATH $(SAM_VENV)/bin/sam build --beta-features --template template.yaml \
		--parameter-overrides Architecture=arm64
	$(call check_bootstrap,.aws-sam/build/RuleFunction/bootstrap,$(BOOTSTRAP_BUDGET))
	PATH=$(abspath $(SAM_VENV))/bin:$$PATH $(SAM_VENV)/bin/sam build --beta-features --template deploy/probe.yaml \
		--build-dir .aws-sam/probe --parameter-overrides Architecture=arm64
	$(call check_bootstrap,.aws-sam/probe/ProbeFunction/bootstrap,$(PROBE_BOOTSTRAP_BUDGET))

lambda-target: # the std of Lambda's arm64 target, for cargo-lambda
	rustup target list --installed | grep -qx $(LAMBDA_TARGET) || rustup target add $(LAMBDA_TARGET)

deploy: sam-build ## sam build && sam deploy --guided (needs AWS credentials)
	PATH=$(abspath $(SAM_VENV))/bin:$$PATH $(SAM_VENV)/bin/sam deploy --guided

prerequisites: # what a fresh machine must have besides cargo: the TLS tests' real servers and the test venv
	@missing=""; for tool in openssl java keytool python3 apt-get dpkg-deb; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	python3 -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then echo "make test needs:$$missing (openssl 3, Java 17's java and keytool, Python 3 with venv, apt-get and dpkg-deb for the pinned ZooKeeper)"; exit 2; fi

test: prerequisites tools zookeeper build ## every test: unit, contract, handler, adapters, CLI, end-to-end
	MSK_MTLS_RULE_BIN=$(abspath $(BIN)) E2E_PYTHON=$(abspath $(PYTHON)) MSK_MTLS_RULE_ZOOKEEPER=$(abspath $(ZOOKEEPER_DIR))/lib $(CARGO) test --locked

unit: ## the tests that need no emulator
	$(CARGO) test --locked --lib --test contract --test handler --test sdk_adapters --test cli --test properties --test check --test knock --test dual_stack --test architecture

e2e: tools zookeeper build ## the end-to-end layers alone: release binaries + Runtime API + moto (rule, hook); `audit`; `probe` on real TLS servers and ZooKeeper; every documented command
	MSK_MTLS_RULE_BIN=$(abspath $(BIN)) E2E_PYTHON=$(abspath $(PYTHON)) MSK_MTLS_RULE_ZOOKEEPER=$(abspath $(ZOOKEEPER_DIR))/lib $(CARGO) test --locked --test e2e --test audit --test probe --test hook --test check_aws --test precommit --test docs --test rejections --test rotation --test findings -- --test-threads=2

bench: tools build $(SAM_VENV)/.installed lambda-target ## figures: core throughput, cold start, warm latency, RSS, sweeps, arm64 size (BENCHMARKS.md)
	$(CARGO) bench --locked --bench core -- --noplot
	MSK_MTLS_RULE_BIN=$(abspath $(BIN)) E2E_PYTHON=$(abspath $(PYTHON)) $(CARGO) bench --locked --bench lambda
	PATH=$(abspath $(SAM_VENV))/bin:$$PATH cargo-lambda lambda build --release --arm64 --locked --bin msk-mtls-rule-lambda
	@stat -c 'arm64 bootstrap (cargo lambda build --release --arm64): %s bytes' target/lambda/msk-mtls-rule-lambda/bootstrap

lint: ## formatting and clippy, warnings are errors; the fuzz targets compile against today's API
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	# Running them needs nightly (cargo-fuzz); compiling them needs stable, and keeps them from rotting.
	$(CARGO) check --locked --manifest-path fuzz/Cargo.toml --bins

deny: ## dependency policy: licenses, bans, sources (deny.toml)
	command -v cargo-deny >/dev/null || $(CARGO) install --locked cargo-deny@$(CARGO_DENY_VERSION)
	# advisories need the RustSec database from the network, which CI does not have
	$(CARGO) deny --locked check licenses bans sources

mutants-tool:
	@cargo mutants --version 2>/dev/null | grep -qx 'cargo-mutants $(CARGO_MUTANTS_VERSION)' || \
		$(CARGO) install --locked cargo-mutants@$(CARGO_MUTANTS_VERSION)

# cargo-mutants exits 0 when every mutant was caught, 2 when one was missed, 3 when one only timed
# out (a hang the tests noticed: caught), 4 when the unmutated tree fails its tests.
mutants: mutants-tool ## mutation testing of the whole crate with the tests that need no emulator (.cargo/mutants.toml): hours on 2 cores; report in mutants.out/
	$(CARGO) mutants --no-shuffle --jobs $(MUTANTS_JOBS) $(MUTANTS_ARGS) || [ $$? -eq 3 ]

mutants-diff: mutants-tool ## mutation testing of what changed since MUTANTS_BASE (HEAD~1), in place; fails on a missed mutant
	@git rev-parse --verify --quiet '$(MUTANTS_BASE)^{commit}' >/dev/null || { \
		echo "mutants-diff: SKIPPED: $(MUTANTS_BASE) is not in this clone (a shallow clone has no previous commit)"; exit 0; }; \
	git diff $(MUTANTS_BASE) -- 'src/*.rs' 'src/**/*.rs' > mutants.diff; \
	if [ -s mutants.diff ]; then \
		$(CARGO) mutants --no-shuffle --in-place --in-diff mutants.diff || [ $$? -eq 3 ]; \
	else echo "mutants-diff: no Rust source changed since $(MUTANTS_BASE)"; fi

fuzz: ## run each fuzz target for FUZZ_RUNS executions (nightly), seeded from the sample events
	command -v cargo-fuzz >/dev/null || $(CARGO) install --locked cargo-fuzz@$(CARGO_FUZZ_VERSION)
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus/$$target && \
		cp events/*.json events/aws/*.json events/hook/*.json tests/fixtures/aws/*.json tests/fixtures/check/* fuzz/corpus/$$target/ && \
		(cd fuzz && $(CARGO) +nightly fuzz run --sanitizer none $$target -- -runs=$(FUZZ_RUNS) -max_len=16384 -print_final_stats=1) || exit 1; \
	done

fmt: ## format the code
	$(CARGO) fmt --all
