//! The deployment files agree with the code and with each other:
//! - every environment variable the code reads is in `.env.example` and `docs/deploy.md`;
//! - `deploy/container.config.json` and `deploy/docker-compose.yml` parse and keep the rules
//!   `docs/deploy.md` relies on; the Dockerfile, the systemd unit and the CI script agree.

#[path = "deployment/source_scan.rs"]
mod source_scan;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use elife_server::configuration::VARIABLES;
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

/// Crates under `crates/` whose source is not scanned, and why.
const UNSCANNED_CRATES: &[(&str, &str)] = &[(
    "bench",
    "the load and torture harness (elife-chaos), never deployed: its variables \
     (ELIFE_CHAOS_DATABASE_URL, ELIFE_BIN) configure the harness, set by .ci/run",
)];
// Also not scanned: each crate's `tests/` (integration tests and their harness variables,
// e.g. ELIFE_TEST_DATABASE_URL, ELIFE_PRINT_PRIVACY_LOGS) and, inside `src/`, test modules
// (`tests.rs`, `*_tests.rs`, `tests/` folders, `#[cfg(test)]` items): tests set variables
// to exercise the readers, they are not settings of a deployment.

/// Found by the scan or it is broken, one per way of reading, in order: `get("..")`,
/// `parse_or(get, "..")`, `std::env::var(CONST)`, `var_os("..")`, `get(CONST)` of another
/// crate, `get("..")` in a closure, `std::env::var("..")`.
const MUST_FIND: &[&str] = &[
    "DATABASE_URL",
    "RATE_LIMIT_ORDERS",
    "ELIFE_ADMIN_PASSWORD",
    "TOKIO_WORKER_THREADS",
    "PERSONAL_DATA_KEYS",
    "CBR_ENV_ID",
    "HOSTNAME",
];

/// Settings that must never be written into a file of the repository.
const SECRETS: &[&str] = &[
    "DATABASE_URL",
    "JWT_SECRET",
    "ADMIN_TOKEN",
    "ALERT_WEBHOOK_URL",
    "WECHAT_SECRET",
    "UNITEL_PASSWORD",
    "WECHAT_PAY_PRIVATE_KEY",
    "WECHAT_PAY_APIV3_KEY",
    "PERSONAL_DATA_KEYS",
    "PERSONAL_DATA_INDEX_KEY",
    "ELIFE_ADMIN_PASSWORD",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn is_test_source(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || path.components().any(|part| part.as_os_str() == "tests")
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// The variables read by the source of every crate that ships (see `UNSCANNED_CRATES`).
fn variables_read() -> BTreeSet<String> {
    let mut dirs = vec![root().join("migration/src")];
    let crates = fs::read_dir(root().join("crates")).expect("crates/");
    for entry in crates {
        let dir = entry.expect("crate entry").path();
        let name = dir.file_name().and_then(|name| name.to_str()).unwrap_or("");
        if !UNSCANNED_CRATES.iter().any(|(skipped, _)| *skipped == name) {
            dirs.push(dir.join("src"));
        }
    }
    let mut files = Vec::new();
    for dir in dirs.iter().filter(|dir| dir.is_dir()) {
        rust_files(dir, &mut files);
    }
    let mut found = BTreeSet::new();
    for file in files {
        let relative = file.strip_prefix(root()).unwrap_or(&file).to_path_buf();
        if !is_test_source(&relative) {
            let source = fs::read_to_string(&file).expect("readable source");
            found.extend(source_scan::variables_read(&source));
        }
    }
    found
}

/// What a deployment may set: every variable read, and every one `--help` lists.
fn known_variables() -> BTreeSet<String> {
    let mut known = variables_read();
    known.extend(VARIABLES.iter().map(|(name, _, _)| (*name).to_owned()));
    known
}

/// `NAME` as a whole word of `text` (not part of `OTHER_NAME` or `NAME_2`).
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

fn sorted_list(names: &[&String]) -> String {
    names
        .iter()
        .map(|name| name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn the_scan_finds_every_way_of_reading_a_variable() {
    let found = variables_read();
    let missed: Vec<&&str> = MUST_FIND
        .iter()
        .filter(|name| !found.contains(**name))
        .collect();
    assert!(
        missed.is_empty(),
        "the source scan missed {missed:?}: a reader pattern changed (see tests/deployment/source_scan.rs)"
    );
    // Every variable `--help` lists is read somewhere: else the scan misses a way of reading,
    // or VARIABLES lists one that nothing reads any more.
    let listed: Vec<&str> = VARIABLES
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| !found.contains(*name))
        .collect();
    assert!(
        listed.is_empty(),
        "listed in configuration::VARIABLES but not found read by the scan: {listed:?}"
    );
}

#[test]
fn every_variable_read_is_in_env_example_and_the_deploy_doc() {
    let known = known_variables();
    let example = read(".env.example");
    let in_example = |name: &str| {
        example.lines().any(|line| {
            let setting = line.trim_start_matches(['#', ' ']);
            setting.starts_with(name) && setting[name.len()..].starts_with('=')
        })
    };
    let doc = read("docs/deploy.md");
    let missing_example: Vec<&String> = known.iter().filter(|name| !in_example(name)).collect();
    let missing_doc: Vec<&String> = known.iter().filter(|name| !mentions(&doc, name)).collect();
    assert!(
        missing_example.is_empty() && missing_doc.is_empty(),
        "variables the code reads but not documented.\n  missing from .env.example (add `NAME=default` \
         or `# NAME=...` with a comment): {}\n  missing from docs/deploy.md: {}",
        sorted_list(&missing_example),
        sorted_list(&missing_doc),
    );
}

#[test]
fn the_scan_reads_code_not_comments_tests_or_method_calls() {
    let source = r##"
        // get("IN_A_COMMENT") /* nested /* get("IN_A_BLOCK") */ */
        const KEY: &str = "FROM_A_CONST";
        pub const NOT_READ: &str = "NEVER_PASSED";
        fn read(get: &impl Fn(&str) -> Option<String>) {
            let _ = get("PLAIN");
            let _ = parse_or(&get, "PASSED_ALONG", 3);
            let _ = std::env::var(crate::KEY);
            let _ = headers.get("NOT_AN_ENV_READ");
            let _ = get("lower_case_is_not_a_variable");
            let _ = r#"get("IN_A_RAW_STRING")"#;
            let _ = ('"', '\'', "get(\"ESCAPED\")");
        }
        #[derive(Parser)]
        struct Options { #[arg(long, env = "CLAP_ENV")] url: String }
        #[cfg(test)]
        mod tests { fn t() { let _ = get("ONLY_IN_TESTS"); } }
        fn after_tests<'a>(x: &'a str) { let _ = lookup("AFTER_A_LIFETIME"); }
    "##;
    let found: Vec<String> = source_scan::variables_read(source).into_iter().collect();
    assert_eq!(
        found,
        [
            "AFTER_A_LIFETIME",
            "CLAP_ENV",
            "FROM_A_CONST",
            "PASSED_ALONG",
            "PLAIN"
        ]
    );
}

#[test]
fn cloud_hosting_config_is_complete_and_holds_no_secret() {
    let config: Json = serde_json::from_str(&read("deploy/container.config.json"))
        .expect("deploy/container.config.json is JSON (no comments: the test parses it)");
    let number = |field: &str| {
        config[field]
            .as_f64()
            .unwrap_or_else(|| panic!("container.config.json: {field} must be a number"))
    };
    assert_eq!(
        number("containerPort"),
        80.0,
        "Cloud Hosting routes to port 80"
    );
    let dockerfile = root()
        .join(config["buildDir"].as_str().unwrap_or(""))
        .join(config["dockerfilePath"].as_str().expect("dockerfilePath"));
    assert!(
        dockerfile.is_file(),
        "{} does not exist",
        dockerfile.display()
    );
    // Cloud Hosting sells these pairs only (CPU cores, GB of memory).
    let pairs = [(0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0)];
    let size = (number("cpu"), number("mem"));
    assert!(
        pairs.contains(&size),
        "cpu/mem {size:?} is not one of {pairs:?}"
    );
    // The jobs (recharge, expiry, refunds, reconciliation) run inside the server: scaled to
    // zero, nothing would top up paid orders or close unpaid ones.
    assert!(
        number("minNum") >= 1.0,
        "minNum must keep one instance running"
    );
    assert!(number("maxNum") >= number("minNum"));
    assert!(matches!(config["policyType"].as_str(), Some("cpu" | "mem")));
    let params = config["envParams"]
        .as_object()
        .expect("envParams is an object");
    let known = known_variables();
    for (name, value) in params {
        assert!(
            known.contains(name),
            "envParams sets {name}, which nothing reads"
        );
        assert!(value.is_string(), "envParams {name}: values are strings");
        assert!(
            !SECRETS.contains(&name.as_str()),
            "envParams holds the secret {name}: set it in the console"
        );
    }
    assert_eq!(params["PORT"], Json::from("80"));
    assert_eq!(params["ELIFE_ENV"], Json::from("production"));
}

#[test]
fn compose_file_parses_and_wires_the_databases() {
    let mut compose: Yaml = serde_yaml_ng::from_str(&read("deploy/docker-compose.yml"))
        .expect("deploy/docker-compose.yml is YAML");
    compose.apply_merge().expect("YAML merge keys resolve");
    let services = compose["services"]
        .as_mapping()
        .expect("services is a mapping");
    let service = |name: &str| {
        compose["services"]
            .get(name)
            .unwrap_or_else(|| panic!("compose service {name} missing"))
    };
    let profiles = |name: &str| -> Vec<String> {
        service(name)["profiles"]
            .as_sequence()
            .map(|list| {
                list.iter()
                    .filter_map(|profile| profile.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        profiles("mysql").is_empty(),
        "MySQL is the default: no profile"
    );
    assert!(
        service("mysql")["image"]
            .as_str()
            .is_some_and(|image| image.starts_with("mysql:8"))
    );
    assert_eq!(profiles("postgres"), ["postgres"]);
    let known = known_variables();
    for (name, definition) in services {
        let name = name.as_str().expect("service names are strings");
        if let Some(build) = definition.get("build") {
            assert_eq!(
                build["context"].as_str(),
                Some(".."),
                "{name}: context is the repository"
            );
            assert_eq!(
                build["dockerfile"].as_str(),
                Some("deploy/Dockerfile"),
                "{name}"
            );
            let environment = definition["environment"]
                .as_mapping()
                .unwrap_or_else(|| panic!("{name}: environment is a mapping"));
            for (key, value) in environment {
                let key = key.as_str().expect("variable names are strings");
                assert!(
                    known.contains(key),
                    "{name} sets {key}, which nothing reads"
                );
                let value = value.as_str().unwrap_or("");
                if SECRETS.contains(&key) && key != "DATABASE_URL" {
                    assert!(
                        value.starts_with("${"),
                        "{name}: {key} must come from deploy/.env"
                    );
                }
            }
        }
        let Some(needs) = definition.get("depends_on") else {
            continue;
        };
        let needs = needs
            .as_mapping()
            .unwrap_or_else(|| panic!("{name}: depends_on lists conditions"));
        for (needed, how) in needs {
            let needed = needed.as_str().expect("service names are strings");
            match how["condition"].as_str() {
                Some("service_healthy") => assert!(
                    service(needed).get("healthcheck").is_some(),
                    "{name} waits for {needed} to be healthy, which has no healthcheck"
                ),
                Some("service_completed_successfully") => {
                    let command = service(needed)["command"].as_sequence().cloned();
                    assert_eq!(
                        command,
                        Some(vec![Yaml::from("migrate"), Yaml::from("up")]),
                        "{name} waits for {needed}: the migrations"
                    );
                }
                other => panic!("{name} depends on {needed} without a condition ({other:?})"),
            }
            // A service of a profile never waits for one of another profile.
            let theirs = profiles(needed);
            assert!(
                theirs.is_empty() || theirs == profiles(name),
                "{name} → {needed}"
            );
        }
    }
}

#[test]
fn dockerfile_unit_and_ci_script_agree() {
    let dockerfile = read("deploy/Dockerfile");
    let builds: Vec<&str> = dockerfile
        .lines()
        .filter(|line| line.starts_with("RUN cargo build "))
        .collect();
    assert_eq!(
        builds,
        ["RUN cargo build --release --locked -p elife-server"],
        "the image's one release build (.ci/deploy-checks.sh runs the same line)"
    );
    assert!(read(".ci/deploy-checks.sh").contains("'^RUN cargo build '"));
    assert!(dockerfile.lines().any(|line| line == "EXPOSE 80"));
    let unit = read("deploy/elife.service");
    let position = |line: &str| {
        unit.lines()
            .position(|candidate| candidate == line)
            .unwrap_or_else(|| panic!("deploy/elife.service lacks {line}"))
    };
    assert!(
        position("ExecStartPre=/usr/local/bin/elife migrate up")
            < position("ExecStart=/usr/local/bin/elife serve")
    );
    for hardening in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=",
        "MemoryDenyWriteExecute=yes",
        "SystemCallFilter=@system-service",
    ] {
        position(hardening);
    }
}
