//! Turning a checked manifest into ready-to-instantiate components.
//!
//! Start-up cost is dominated by compiling Wasm, so compiled components are cached on disk keyed
//! by the (composed) bytes and the engine's compatibility hash, in a per-user directory shared by
//! every host: any start after the first deserialises instead of compiling. Requests then only instantiate from a pre-linked `ProxyPre` in the pooling
//! allocator, which is what keeps per-request cost in microseconds.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::WasiHttpCtx;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::manifest::App;
use crate::outbound::{AllowedHost, OutboundPolicy};
use crate::sqlite::{Databases, SqliteAccess};
use crate::state::RequestState;
use crate::variables::{Resolved, component_values};

/// One component, linked and ready to serve.
pub struct Prepared {
    pub id: String,
    pub pre: ProxyPre<RequestState>,
    sqlite: SqliteAccess,
    outbound: OutboundPolicy,
    variables: Arc<BTreeMap<String, String>>,
    environment: Vec<(String, String)>,
}

impl Prepared {
    /// A fresh store for one request.
    pub fn new_store(&self, engine: &Engine) -> Store<RequestState> {
        let mut wasi = WasiCtx::builder();
        wasi.inherit_stdout().inherit_stderr();
        for (k, v) in &self.environment {
            wasi.env(k, v);
        }
        let mut store = Store::new(
            engine,
            RequestState {
                wasi: wasi.build(),
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
                outbound: self.outbound.clone(),
                sqlite: self.sqlite.clone(),
                variables: self.variables.clone(),
            },
        );
        // Yield to the runtime at every epoch tick, so a long computation (a scoring run)
        // never holds a worker thread that emergencies need.
        store.epoch_deadline_async_yield_and_update(1);
        store
    }
}

/// The engine settings every component shares.
pub fn engine() -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    // Guests here are WASI 0.2 (Spin 3.x): nothing uses the component model's async ABI, and
    // leaving it on makes every host call create and delete a task record in the store.
    config.concurrency_support(false);
    // `SAFETYNET_PROFILE=perfmap` lets `perf` name JIT-compiled Wasm functions.
    if std::env::var("SAFETYNET_PROFILE").as_deref() == Ok("perfmap") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    // PAGEMAP_SCAN is required rather than merely wanted: without it wasmtime would memset
    // the whole kept range on every deallocation, which measured slower than keeping nothing.
    match Engine::new(config.allocation_strategy(pooling(true))) {
        Ok(engine) => Ok(engine),
        Err(e) => {
            tracing::info!(
                reason = %e,
                "PAGEMAP_SCAN unavailable: memory pages go back to the kernel after each instance"
            );
            Ok(Engine::new(config.allocation_strategy(pooling(false)))?)
        }
    }
}

/// The instance pool; `resident` keeps memory slots' dirty pages between instances (it needs
/// Linux's PAGEMAP_SCAN, see below).
fn pooling(resident: bool) -> InstanceAllocationStrategy {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(1_000);
    pool.total_core_instances(4_000);
    pool.total_memories(2_000);
    pool.total_tables(2_000);
    pool.max_memories_per_component(16);
    pool.max_tables_per_component(16);
    // Scoring holds whole cycles in memory; give components room.
    pool.max_memory_size(2 << 30);
    // Keep up to 4 MiB of each memory slot's dirty pages resident and reset just those in place,
    // found with Linux's PAGEMAP_SCAN (kernel 6.7+; elsewhere slots keep nothing, as before).
    // The next instance in the slot then takes no page faults on them, and no `madvise` (with
    // its cross-core TLB flush) is issued for a typical request. Measured in interleaved runs
    // against returning every page to the kernel (keep-resident 0): device events 3,233-4,784
    // vs 2,774-4,042 events/s (better in 3 of 4 rounds; 1 MiB won all 4), hello c=32
    // 23,094-28,097 vs 19,561-19,660 req/s; the scoring bench's memory peak went from 496 to
    // 558 MB. Without PAGEMAP_SCAN a keep-resident memset of the whole range measured slower
    // than the default, so the scan is what makes this pay.
    if resident {
        pool.pagemap_scan(wasmtime::Enabled::Yes);
        pool.linear_memory_keep_resident(4 << 20);
    }
    // Tables are small (a function table is a few KiB of pointers) and every instance touches
    // them, so zeroing them in place beats a page fault per table per request. Measured in 6
    // interleaved pairs (noisy machine): instantiate 13-19 vs 17-26 us, device-event ingest
    // 2,926 vs 2,724 events/s on average.
    pool.table_keep_resident(64 << 10);
    // Return memory slots' pages in small batches: one `madvise` (and cross-core TLB flush) per
    // instance was among the largest per-request costs. Measured (noisy machine, interleaved runs): hello
    // c=32 batch 8 vs 1: 10,663 vs 8,150 and 8,603 vs 8,376 req/s. A batch of 32 did more for
    // hello (16,000+ req/s) but a freed slot's pages stay resident until its batch fills, and
    // the scoring bench's memory peak went from 542 to 1,033 MB; 8 keeps it at 542 MB.
    pool.decommit_batch_size(8);
    InstanceAllocationStrategy::Pooling(pool)
}

/// How often running guests yield to the async runtime (see [`Prepared::new_store`]).
pub const EPOCH_TICK: std::time::Duration = std::time::Duration::from_millis(10);

/// Advances the engine's epoch every [`EPOCH_TICK`] for as long as the process runs.
pub fn start_epoch_ticker(engine: &Engine) {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawn epoch ticker");
}

/// Loads (from cache or by compiling) and links every component of the app.
pub fn prepare(
    engine: &Engine,
    app: &App,
    vars: &Resolved,
    databases: &Databases,
    cache_dir: &Path,
) -> Result<HashMap<String, Arc<Prepared>>> {
    let mut out = HashMap::new();
    for (id, c) in &app.components {
        let bytes = std::fs::read(&c.source)
            .with_context(|| format!("component.{id}.source: reading {}", c.source.display()))?;
        let bytes = crate::compose::compose(id, bytes, &c.dependencies)
            .with_context(|| format!("failed to resolve dependencies for component \"{id}\""))?;
        let component = load_cached(engine, &bytes, cache_dir)
            .with_context(|| format!("component.{id}: compiling {}", c.source.display()))?;

        let mut linker: Linker<RequestState> = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        crate::spin_api::add_to_linker(&mut linker)?;
        define_type_only_imports(engine, &mut linker, &component)?;
        let pre = ProxyPre::new(linker.instantiate_pre(&component)?)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!("component.{id}: not an HTTP component (wasi:http/incoming-handler)")
            })?;

        let mut allowed = Vec::new();
        for (i, t) in c.allowed_outbound_hosts.iter().enumerate() {
            let rendered = t
                .render(&vars.values)
                .with_context(|| format!("component.{id}.allowed_outbound_hosts[{i}]"))?;
            allowed.push(
                AllowedHost::parse(&rendered)
                    .with_context(|| format!("component.{id}.allowed_outbound_hosts[{i}]"))?,
            );
        }
        for label in &c.sqlite_databases {
            if databases.get(label).is_none() {
                anyhow::bail!("component.{id}.sqlite_databases: unknown database {label:?}");
            }
        }
        out.insert(
            id.clone(),
            Arc::new(Prepared {
                id: id.clone(),
                pre,
                sqlite: SqliteAccess {
                    allowed: Arc::new(c.sqlite_databases.clone()),
                    databases: databases.clone(),
                },
                outbound: OutboundPolicy {
                    allowed: Arc::new(allowed),
                },
                variables: Arc::new(component_values(c, vars)?),
                environment: c.environment.clone().into_iter().collect(),
            }),
        );
    }
    Ok(out)
}

/// An interface with only types (such as our shared `types`) is imported by components that use
/// its types but needs nothing from the host; give it an empty instance so it links.
fn define_type_only_imports(
    engine: &Engine,
    linker: &mut Linker<RequestState>,
    component: &Component,
) -> Result<()> {
    use wasmtime::component::types::ComponentItem;
    for (name, item) in component.component_type().imports(engine) {
        if let ComponentItem::ComponentInstance(inst) = item.ty {
            let only_types = inst
                .exports(engine)
                .all(|(_, e)| matches!(e.ty, ComponentItem::Type(_)));
            if only_types && !name.starts_with("wasi:") {
                linker.instance(name)?;
            }
        }
    }
    Ok(())
}

fn load_cached(engine: &Engine, bytes: &[u8], cache_dir: &Path) -> Result<Component> {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let mut h = Sha256::new();
    h.update(engine_hash.finish().to_le_bytes());
    h.update(bytes);
    let key = hex::encode(h.finalize());
    let path: PathBuf = cache_dir.join(format!("{key}.cwasm"));
    if path.is_file() {
        // SAFETY: the file was written by `Component::serialize` of an engine with the same
        // compatibility hash (part of the key), in a directory only this user's hosts write.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => return Ok(c),
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "ignoring bad cache entry")
            }
        }
    }
    let component = Component::new(engine, bytes)?;
    if std::fs::create_dir_all(cache_dir).is_ok() {
        // Unique per process and call: hosts starting together each write their own file and
        // rename it into place, so a reader sees a whole entry or none.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = cache_dir.join(format!("{key}.tmp{}-{n}", std::process::id()));
        if let Ok(ser) = component.serialize()
            && std::fs::write(&tmp, ser).is_ok()
        {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    Ok(component)
}
