//! `[component.X.dependencies]`: plugging library components into a component's imports, by the
//! rules of Spin's composer (`crates/compose` in Spin 4.0.2), so that a manifest Spin refuses is
//! refused here too, with the same message.
//!
//! Those rules, in the order Spin applies them:
//! 1. every dependency key must match at least one import of the component
//!    ([`ComposeError::UnmatchedDependencyName`]);
//! 2. each dependency component is registered in the composition graph under its *package* name
//!    (`ns:pkg` of `ns:pkg/iface@v`) or its plain name, so two dependencies from one package
//!    cannot coexist ("package `ns:pkg` has already been registered in the graph");
//! 3. an import that two dependency keys match is a conflict
//!    ([`ComposeError::DependencyConflicts`]);
//! 4. the dependency must export the import's exact name, or the `export` the manifest names
//!    ([`ComposeError::MissingExport`]), with a type the import accepts;
//! 5. the composed component exports everything the main component exports; whatever the
//!    dependencies import beyond that (WASI, shared type interfaces) stays an import for the host.

use thiserror::Error;
use wac_graph::types::{Package, SubtypeChecker, WorldId};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};

use crate::dependency::DependencyName;
use crate::manifest::Dependency;

/// Why a component's dependencies cannot be composed. Messages are Spin's, so an operator who
/// moves between the two runtimes reads the same words.
#[derive(Debug, Error)]
pub enum ComposeError {
    #[error(
        "dependency '{dependency_name}' doesn't match any imports of component '{component_id}'"
    )]
    UnmatchedDependencyName {
        component_id: String,
        dependency_name: String,
    },
    #[error("component '{component_id}' has dependency conflicts: {}", format_conflicts(.conflicts))]
    DependencyConflicts {
        component_id: String,
        conflicts: Vec<(String, Vec<String>)>,
    },
    #[error(
        "dependency '{dependency_name}' doesn't export '{export_name}' to satisfy import '{import_name}'"
    )]
    MissingExport {
        dependency_name: String,
        export_name: String,
        import_name: String,
    },
    #[error("an error occurred when preparing dependencies")]
    Prepare(#[source] anyhow::Error),
    #[error("failed to encode composition graph: {0}")]
    Encode(#[source] anyhow::Error),
}

fn format_conflicts(conflicts: &[(String, Vec<String>)]) -> String {
    conflicts
        .iter()
        .map(|(import, deps)| {
            format!(
                "import '{import}' satisfied by dependencies: '{}'",
                deps.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A dependency registered in the graph, waiting to be wired to the imports it matched.
#[derive(Clone)]
struct Registered {
    name: DependencyName,
    world: WorldId,
    instance: NodeId,
    export: Option<String>,
}

/// Returns the composed component bytes, or `main` unchanged when there are no dependencies.
pub fn compose(
    component_id: &str,
    main: Vec<u8>,
    deps: &[Dependency],
) -> Result<Vec<u8>, ComposeError> {
    if deps.is_empty() {
        return Ok(main);
    }
    let mut graph = CompositionGraph::new();
    let (main_world, main_inst) =
        register(&mut graph, component_id, main).map_err(ComposeError::Prepare)?;

    // Which dependency satisfies which import; more than one is a conflict.
    let imports: Vec<String> = graph.types()[main_world].imports.keys().cloned().collect();
    let mut by_import: std::collections::BTreeMap<String, Vec<Registered>> = Default::default();
    for dep in deps {
        let mut matched = Vec::new();
        for import in &imports {
            if dep
                .name
                .matches_import(import)
                .map_err(ComposeError::Prepare)?
            {
                matched.push(import.clone());
            }
        }
        if matched.is_empty() {
            return Err(ComposeError::UnmatchedDependencyName {
                component_id: component_id.to_string(),
                dependency_name: dep.name.to_string(),
            });
        }
        let bytes = std::fs::read(&dep.path)
            .map_err(|e| {
                anyhow::anyhow!(
                    "dependency '{}': reading {}: {e}",
                    dep.name,
                    dep.path.display()
                )
            })
            .map_err(ComposeError::Prepare)?;
        let (world, instance) = register(&mut graph, &dep.name.registration_name(), bytes)
            .map_err(ComposeError::Prepare)?;
        let registered = Registered {
            name: dep.name.clone(),
            world,
            instance,
            export: dep.export.clone(),
        };
        for import in matched {
            by_import
                .entry(import)
                .or_default()
                .push(registered.clone());
        }
    }
    let (conflicts, wired): (Vec<_>, Vec<_>) =
        by_import.into_iter().partition(|(_, regs)| regs.len() > 1);
    if !conflicts.is_empty() {
        return Err(ComposeError::DependencyConflicts {
            component_id: component_id.to_string(),
            conflicts: conflicts
                .into_iter()
                .map(|(import, regs)| (import, regs.iter().map(|r| r.name.to_string()).collect()))
                .collect(),
        });
    }

    let mut cache = Default::default();
    let mut checker = SubtypeChecker::new(&mut cache);
    for (import, mut regs) in wired {
        let dep = regs.remove(0);
        let export = dep.export.clone().unwrap_or_else(|| import.clone());
        let Some(export_ty) = graph.types()[dep.world].exports.get(&export).copied() else {
            return Err(ComposeError::MissingExport {
                dependency_name: dep.name.to_string(),
                export_name: export,
                import_name: import,
            });
        };
        let import_ty = graph.types()[main_world].imports[&import];
        checker
            .is_subtype(export_ty, graph.types(), import_ty, graph.types())
            .map_err(|e| {
                anyhow::anyhow!(
                    "dependency '{}' exports '{export}' which is not compatible with import '{import}': {e:#}",
                    dep.name
                )
            })
            .map_err(ComposeError::Prepare)?;
        let alias = graph
            .alias_instance_export(dep.instance, &export)
            .map_err(|e| ComposeError::Prepare(e.into()))?;
        graph
            .set_instantiation_argument(main_inst, &import, alias)
            .map_err(|e| ComposeError::Prepare(e.into()))?;
    }

    let exports: Vec<String> = graph.types()[main_world].exports.keys().cloned().collect();
    for name in exports {
        let alias = graph
            .alias_instance_export(main_inst, &name)
            .map_err(|e| ComposeError::Prepare(e.into()))?;
        graph
            .export(alias, &name)
            .map_err(|e| ComposeError::Prepare(e.into()))?;
    }
    graph
        .encode(EncodeOptions::default())
        .map_err(|e| ComposeError::Encode(e.into()))
}

/// Registers a component under `name` and instantiates it.
fn register(
    graph: &mut CompositionGraph,
    name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<(WorldId, NodeId)> {
    let package = Package::from_bytes(name, None, bytes, graph.types_mut())?;
    let world = package.ty();
    let id = graph.register_package(package)?;
    Ok((world, graph.instantiate(id)))
}
