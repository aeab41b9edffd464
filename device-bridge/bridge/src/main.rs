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
    match cli.command {
        Some(Command::SendDc09(args)) => {
            if let Err(e) = safetynet_bridge::send_dc09::run(args) {
                eprintln!("error: {e:#}");
                std::process::exit(1);
            }
            return;
        }
        Some(Command::TlsCert(args)) => {
            if let Err(e) = write_tls_cert(&args) {
                eprintln!("error: {e:#}");
                std::process::exit(1);
            }
            return;
        }
        Some(Command::MosquittoAuth(_)) | None => {}
    }
    if let Some(Command::MosquittoAuth(args)) = &cli.command {
        let written = Settings::load(Some(&args.config), &cli.overrides).and_then(|settings| {
            safetynet_bridge::mosquitto_auth::write(&settings, &args.passwd, &args.acl)
        });
        match written {
            Ok(conf) => print!("{conf}"),
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::exit(1);
            }
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

fn write_tls_cert(a: &safetynet_bridge::config::TlsCertArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let (cert, key) = safetynet_bridge::mqtt_gate::self_signed(&a.hosts)?;
    std::fs::write(&a.cert, cert)?;
    let mut f = std::fs::OpenOptions::new();
    f.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
    f.open(&a.key)?.write_all(key.as_bytes())?;
    println!("wrote {} and {}", a.cert.display(), a.key.display());
    Ok(())
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
