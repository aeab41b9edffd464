//! `safetynet-cli`: what operators and data providers run against a Safety Net deployment.

mod bridge_config;
mod client;
mod demo;
mod event;
mod personal_data;
mod scoring;
mod sink;
mod synth;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Safety Net operator CLI")]
struct Cli {
    /// Base URL of the suite.
    #[arg(
        long,
        global = true,
        env = "SAFETYNET_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    url: String,
    /// Bearer token (admin for `demo`).
    #[arg(long, global = true, env = "SAFETYNET_TOKEN", default_value = "")]
    token: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enrol a small demo city (staff tokens, residents, devices) and print it.
    Demo(demo::DemoArgs),
    /// Send a correctly signed device event (to test an installation end to end).
    SendEvent(event::SendEventArgs),
    /// Exit 0 once the suite answers (used by scripts waiting for start-up).
    Probe,
    /// Write the device bridge's config for the demo city (devices, secrets, clock token).
    BridgeConfig(bridge_config::BridgeConfigArgs),
    /// Print what would reach 119 and the SMS gateway (local development only).
    Sink(sink::SinkArgs),
    /// Upload a cycle's household reference or a provider's indicator file (CSV).
    Upload(scoring::UploadArgs),
    /// Score a cycle and send its quota of households to the dong centres.
    Run(scoring::RunArgs),
    /// Support rate by centre for a cycle.
    Report(scoring::ReportArgs),
    /// Write deterministic synthetic households and provider files.
    Synth(synth::SynthArgs),
    /// Print a new key entry for `personal_data_keys` (`id=<64 hex digits>`).
    NewDataKey(personal_data::NewKeyArgs),
    /// Re-seal all personal data under the suite's current key (admin token).
    ReEncrypt(personal_data::ReEncryptArgs),
}

fn main() {
    let cli = Cli::parse();
    let api = client::Api::new(&cli.url, &cli.token);
    let result = match cli.command {
        Command::Demo(a) => demo::run(&api, a),
        Command::SendEvent(a) => event::run(&api, a),
        Command::Sink(a) => sink::run(a),
        Command::BridgeConfig(a) => bridge_config::run(&cli.url, a),
        Command::Upload(a) => scoring::upload(&cli.url, &cli.token, a),
        Command::Run(a) => scoring::run(&cli.url, &cli.token, a),
        Command::Report(a) => scoring::report(&cli.url, &cli.token, a),
        Command::Synth(a) => synth::run(a),
        Command::NewDataKey(a) => personal_data::new_key(a),
        Command::ReEncrypt(a) => personal_data::re_encrypt(&api, a),
        Command::Probe => api
            .call("GET", "/api/v1/openapi.json", &[], None)
            .and_then(|(s, _)| {
                if s == 200 {
                    Ok(())
                } else {
                    Err(anyhow::anyhow!("status {s}"))
                }
            }),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
