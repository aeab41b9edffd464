//! `safetynet-host up`: load, check, prepare and serve an application.

use anyhow::{Context, Result};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::manifest::App;
use crate::routes::RouteTable;
use crate::server::Server;
use crate::sqlite::Databases;
use crate::variables::Origin;

#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// The application manifest.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    pub manifest: PathBuf,
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Set an application variable, NAME=VALUE (beats SPIN_VARIABLE_NAME and the default).
    #[arg(long = "variable", value_parser = crate::variables::parse_flag)]
    pub variables: Vec<(String, String)>,
    /// SQL to run against the default database before serving: a statement, or @FILE.
    #[arg(long = "sqlite")]
    pub sqlite: Vec<String>,
    /// Where databases live (default: `.spin` beside the manifest, as Spin does).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Where compiled components are cached, shared by every host of this user and keyed by
    /// content (default: `$XDG_CACHE_HOME/safetynet-host`, else `~/.cache/safetynet-host`).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// A request still running after this many seconds is stopped and answered 500.
    #[arg(long, default_value_t = 300)]
    pub request_timeout_secs: u64,
}

/// A loaded application ready to serve.
pub struct Loaded {
    pub app: App,
    pub server: Arc<Server>,
    pub state_dir: PathBuf,
}

pub fn load(args: &UpArgs) -> Result<Loaded> {
    let app = crate::manifest::load(&args.manifest)?;
    let vars = crate::variables::resolve(&app, &args.variables, |k| std::env::var(k).ok())?;
    for (name, origin) in &vars.origins {
        let secret = app.variables[name].secret;
        let shown = if secret {
            "<secret>"
        } else {
            vars.values[name].as_str()
        };
        tracing::debug!(variable = %name, value = %shown, ?origin, "variable resolved");
        let _ = Origin::Flag;
    }
    let base = args
        .manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let state_dir = args.state_dir.clone().unwrap_or_else(|| base.join(".spin"));
    let cache_dir = args
        .cache_dir
        .clone()
        .or_else(user_cache_dir)
        .unwrap_or_else(|| state_dir.join("compiled"));
    let mut labels: Vec<String> = app
        .components
        .values()
        .flat_map(|c| c.sqlite_databases.iter().cloned())
        .collect();
    if !args.sqlite.is_empty() {
        labels.push("default".into());
    }
    let databases = Databases::open(&state_dir, labels)?;
    for stmt in &args.sqlite {
        run_sqlite_flag(&databases, stmt).with_context(|| format!("--sqlite {stmt:?}"))?;
    }
    let engine = crate::runtime::engine()?;
    crate::runtime::start_epoch_ticker(&engine);
    let components = crate::runtime::prepare(&engine, &app, &vars, &databases, &cache_dir)?;
    let routes = RouteTable::new(&app.routes)?;
    Ok(Loaded {
        app,
        server: Arc::new(Server {
            engine,
            routes,
            components,
            request_timeout: std::time::Duration::from_secs(args.request_timeout_secs),
            guests: tokio_util::task::TaskTracker::new(),
        }),
        state_dir,
    })
}

/// One `--sqlite` flag, as Spin reads it: `@FILE` or `@FILE:LABEL` runs the whole file against
/// that database (default `default`); anything else is one statement against `default`.
fn run_sqlite_flag(databases: &Databases, flag: &str) -> Result<()> {
    match flag.strip_prefix('@') {
        Some(spec) => {
            let spec = spec.trim();
            let (file, label) = match spec.split_once(':') {
                Some((file, label)) if !file.trim().is_empty() && !label.trim().is_empty() => {
                    (file.trim(), label.trim())
                }
                Some(_) => anyhow::bail!("expected @FILE or @FILE:LABEL"),
                None => (spec, "default"),
            };
            let db = databases
                .get(label)
                .with_context(|| format!("no database named {label:?}"))?;
            let sql =
                std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
            db.execute_batch(&sql)
        }
        None => {
            let db = databases.get("default").expect("opened for --sqlite");
            if db.execute_first(flag)? {
                tracing::warn!(
                    "--sqlite runs only the first statement of its text (as Spin does); \
                     give each statement its own --sqlite, or use @FILE"
                );
            }
            Ok(())
        }
    }
}

/// The per-user cache, as Spin keeps its own: a fresh state directory (every test, every new
/// checkout) then starts from compiled code instead of recompiling the suite.
fn user_cache_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache"),
    };
    Some(base.join("safetynet-host"))
}

/// Loads the app and serves until Ctrl-C or SIGTERM.
pub async fn run(args: UpArgs) -> Result<()> {
    let started = Instant::now();
    let loaded = load(&args)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("--listen {}: cannot bind", args.listen))?;
    let addr = listener.local_addr()?;
    println!("Serving http://{addr}");
    println!("Available Routes:");
    for r in &loaded.app.routes {
        let shown = r
            .route
            .strip_suffix("/...")
            .map(|p| format!("{p} (wildcard)"));
        println!(
            "  {}: http://{addr}{}",
            r.component,
            shown.unwrap_or_else(|| r.route.clone())
        );
    }
    tracing::info!(
        app = %loaded.app.name,
        state_dir = %loaded.state_dir.display(),
        ready_ms = started.elapsed().as_millis() as u64,
        "ready"
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loaded.server.serve(listener, shutdown_signal()).await?;
    println!("Stopped.");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Measures instantiating a component per request (no call), for `make bench`.
pub async fn bench_instantiate(args: &UpArgs, component: &str, n: u32) -> Result<f64> {
    let loaded = load(args)?;
    let c = loaded
        .server
        .components
        .get(component)
        .with_context(|| format!("no component {component:?}"))?
        .clone();
    let engine = loaded.server.engine.clone();
    for _ in 0..100 {
        let mut store = c.new_store(&engine);
        c.pre.instantiate_async(&mut store).await?;
    }
    let t = Instant::now();
    for _ in 0..n {
        let mut store = c.new_store(&engine);
        c.pre.instantiate_async(&mut store).await?;
    }
    Ok(t.elapsed().as_secs_f64() * 1e6 / f64::from(n))
}
