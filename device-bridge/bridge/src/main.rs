//! `safetynet-bridge`: see `--help` and the crate documentation (src/lib.rs).

use clap::Parser;
use safetynet_bridge::config::{Cli, Command, EXAMPLE, Settings};
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = Cli::parse();
    if cli.print_example_config {
        print!("{EXAMPLE}");
        return;
    }
    if let Some(Command::SendDc09(args)) = cli.command {
        if let Err(e) = safetynet_bridge::send_dc09::run(args) {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    let settings = match Settings::load(cli.config.as_deref(), &cli.overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    };
    if cli.check {
        println!("configuration OK: {}", settings.summary());
        return;
    }
    init_logging(&settings.log.format, &settings.log.level);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = rt.block_on(safetynet_bridge::app::run(settings)) {
        tracing::error!("{e:#}");
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn init_logging(format: &str, level: &str) {
    // The embedded broker logs every connection at info; keep it to warnings unless asked.
    let filter = EnvFilter::try_new(format!("rumqttd=warn,{level}"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    if format == "json" {
        b.json().flatten_event(true).init();
    } else {
        b.init();
    }
}
