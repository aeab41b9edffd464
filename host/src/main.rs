//! `safetynet-host`: serve a Spin manifest on embedded wasmtime (see `up`).

use clap::{Parser, Subcommand};
use safetynet_host::up::{self, UpArgs};

#[derive(Parser)]
#[command(
    version,
    about = "Runs a Spin 3.x application on embedded wasmtime, like `spin up`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the application (like `spin up`).
    Up(UpArgs),
    /// Check the manifest and compile every component, then exit.
    Check(UpArgs),
    /// Print the mean time to instantiate one component, in microseconds.
    BenchInstantiate {
        #[command(flatten)]
        up: UpArgs,
        #[arg(long)]
        component: String,
        #[arg(short, long, default_value_t = 20_000)]
        n: u32,
    },
}

/// Every request allocates and frees many small buffers (Wasm instances, SQLite rows, HTTP
/// bodies) from two worker threads; mimalloc's per-thread free lists measured faster than glibc.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // wasmtime builds an error value when it drops each request's store; with RUST_BACKTRACE
    // set (common on servers) each would walk the stack. Errors here carry their context
    // already; panics keep their backtraces (RUST_BACKTRACE still governs those).
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: first thing in main, before any thread is started.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,wasmtime=warn,cranelift=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = rt.block_on(async {
        match cli.command {
            Command::Up(args) => up::run(args).await,
            Command::Check(args) => up::load(&args).map(|l| {
                println!(
                    "ok: {} ({} components, {} routes)",
                    l.app.name,
                    l.app.components.len(),
                    l.app.routes.len()
                );
            }),
            Command::BenchInstantiate { up, component, n } => {
                up::bench_instantiate(&up, &component, n)
                    .await
                    .map(|us| println!("{us:.2}"))
            }
        }
    });
    if let Err(e) = result {
        eprintln!("Error: {e:#}");
        std::process::exit(1);
    }
}
