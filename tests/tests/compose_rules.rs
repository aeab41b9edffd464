//! Spin's rules for `[component.X.dependencies]`, one fixture manifest each
//! (`tests/fixtures/compose/*.toml`): the embedded host refuses every one with Spin's message,
//! naming the component and the dependency; when real Spin is on this machine
//! (`../shared/tools/real-spin`), it is run on the same fixture and must refuse it with the same
//! words, so the expectations below are Spin's answers, not the host's.

use safetynet_tests::{host_check, real_spin, root, temp_dir};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Fixture, then what both runtimes' error must contain.
const CASES: &[(&str, &[&str])] = &[
    (
        "two-from-one-package",
        &[
            "failed to resolve dependencies for component \"conformance\"",
            "package `safetynet:fixtures` has already been registered in the graph",
        ],
    ),
    (
        "unmatched",
        &[
            "dependency 'safetynet:elsewhere/greet@0.1.0' doesn't match any imports of component 'conformance'",
        ],
    ),
    (
        "wrong-version",
        &[
            "dependency 'safetynet:fixtures@0.2.0' doesn't match any imports of component 'conformance'",
        ],
    ),
    (
        "overlapping",
        &["conformance", "has invalid dependencies", "conflicts with"],
    ),
    (
        "package-export",
        &[
            "conformance",
            "has invalid dependencies",
            "using an export to satisfy the package dependency",
            "is not currently permitted",
        ],
    ),
    (
        "missing-export",
        &[
            "dependency 'safetynet:fixtures/greet@0.1.0' doesn't export 'safetynet:fixtures/nothing@0.1.0' to satisfy import 'safetynet:fixtures/greet@0.1.0'",
        ],
    ),
    (
        "not-exported",
        &["dependency 'safetynet:fixtures@0.1.0' doesn't export"],
    ),
    ("unknown-key", &["allowed_outbound_host"]),
];

fn fixture(name: &str) -> std::path::PathBuf {
    root().join(format!("tests/fixtures/compose/{name}.toml"))
}

/// The host's refusal (`check` loads and composes exactly as `up` does).
fn host_error(manifest: &Path) -> String {
    host_check(manifest, &[])
        .err()
        .unwrap_or_else(|| panic!("the host accepted {}", manifest.display()))
}

/// Real Spin's refusal: `spin up` must exit with an error before it serves.
fn spin_error(spin: &Path, manifest: &Path) -> String {
    let state = temp_dir("compose-spin");
    let mut child = Command::new(spin)
        .args(["up", "--listen", "127.0.0.1:0", "--from"])
        .arg(manifest)
        .arg("--state-dir")
        .arg(&state)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            assert!(!status.success(), "Spin accepted {}", manifest.display());
            return err;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("Spin kept running on {}", manifest.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_compose_rule_refuses_as_spin_does() {
    let spin = real_spin();
    if spin.is_none() {
        println!("compose rules: real Spin half skipped (../shared/tools/real-spin not found)");
    }
    for (name, expected) in CASES {
        let manifest = fixture(name);
        let mut runtimes = vec![("host", host_error(&manifest))];
        if let Some(spin) = &spin {
            runtimes.push(("spin", spin_error(spin, &manifest)));
        }
        for (runtime, err) in runtimes {
            for want in *expected {
                assert!(
                    err.contains(want),
                    "{name} on {runtime}: expected {want:?} in:\n{err}"
                );
            }
        }
    }
}

#[test]
fn a_package_key_satisfies_every_import_of_its_package() {
    // tests/fixtures/spin.toml gives `conformance` one key for the package its two imports
    // (greet and shout) come from; both must be wired.
    let manifest = root().join("tests/fixtures/spin.toml");
    if let Err(e) = host_check(&manifest, &["--variable", "secret_token=s3cret"]) {
        panic!("{e}");
    }
}
