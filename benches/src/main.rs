//! `safetynet-bench`: starts `safetynet-host` as a process per case, loads it over HTTP from
//! 127.0.0.1, and prints one table row per case with its target. See `cases.rs` for the cases.

mod case;
mod cases;
mod dc09;
mod hostproc;
mod ingest;
mod load;
mod reminders;
mod scoring;
mod table;

/// The personal-data key every bench runs with (`personal_data_keys`): sealed, as deployed.
pub const PERSONAL_DATA_KEYS: &str =
    "b1=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

use anyhow::{Result, bail};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Benchmarks safetynet-host against its targets (and real Spin's figures).")]
struct Cli {
    /// Seconds per load case.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration_secs: u64,
    /// Run only this case (by id or name; repeatable). `--list` shows them.
    #[arg(long)]
    only: Vec<String>,
    /// List the cases and exit.
    #[arg(long)]
    list: bool,
    /// Threads for the load generator (it shares the machine's cores with the host).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    client_threads: u64,
    /// The host binary (default: target/release/safetynet-host).
    #[arg(long)]
    host_bin: Option<PathBuf>,
    /// The manifest to serve (default: tests/fixtures/spin.toml).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Keep state directories under target/bench-state even for cases that met their target.
    #[arg(long)]
    keep_state: bool,
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("Error: {e:#}");
        std::process::exit(2);
    }
}

fn run(cli: Cli) -> Result<()> {
    let all = cases::all();
    if cli.list {
        for c in &all {
            println!("{:<14} {}", c.id, c.name);
        }
        return Ok(());
    }
    for o in &cli.only {
        if !all.iter().any(|c| c.id == o || c.name == o) {
            let ids: Vec<&str> = all.iter().map(|c| c.id).collect();
            bail!("--only {o:?}: no such case (cases: {})", ids.join(", "));
        }
    }
    let selected: Vec<_> = all
        .into_iter()
        .filter(|c| cli.only.is_empty() || cli.only.iter().any(|o| c.id == o || c.name == o))
        .collect();

    let root = hostproc::root();
    let cx = case::Cx {
        rt: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cli.client_threads as usize)
            .enable_all()
            .build()?,
        duration: Duration::from_secs(cli.duration_secs),
        host: hostproc::HostCmd {
            bin: cli
                .host_bin
                .unwrap_or_else(|| root.join("target/release/safetynet-host")),
            manifest: cli
                .manifest
                .unwrap_or_else(|| root.join("tests/fixtures/spin.toml")),
            variables: vec!["secret_token=x".into()],
            ..Default::default()
        },
        keep_state: cli.keep_state,
    };

    let mut rows = Vec::new();
    for c in &selected {
        eprintln!("bench: {} ...", c.name);
        let row = case::run_case(&cx, c);
        eprintln!("bench: {} → {}", c.name, row.result);
        rows.push(row);
    }
    println!("{}", table::render(&rows));
    println!(
        "{}",
        cases::footnote(cx.duration, cli.client_threads as usize)
    );
    if rows.iter().any(|r| r.failed) {
        bail!("some cases failed to run");
    }
    Ok(())
}
