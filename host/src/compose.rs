//! `[component.X.dependencies]`: plugging library components into a component's imports.
//!
//! Like Spin's own composer, this uses `wac-graph`: the main component is instantiated with the
//! named imports satisfied by the dependencies' exports; everything else the dependencies import
//! (WASI, shared type interfaces) becomes an import of the composed component for the host.

use anyhow::{anyhow, bail, Context, Result};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

use crate::manifest::Dependency;

/// Returns the composed component bytes, or `main` unchanged when there are no dependencies.
pub fn compose(component_id: &str, main: Vec<u8>, deps: &[Dependency]) -> Result<Vec<u8>> {
    if deps.is_empty() {
        return Ok(main);
    }
    let mut graph = CompositionGraph::new();
    let main_pkg = Package::from_bytes("app:main", None, main, graph.types_mut())
        .with_context(|| format!("component.{component_id}.source: not a component"))?;
    let main_id = graph.register_package(main_pkg)?;
    let main_imports: Vec<String> = graph.types()[graph[main_id].ty()]
        .imports
        .keys()
        .cloned()
        .collect();
    let main_exports: Vec<String> = graph.types()[graph[main_id].ty()]
        .exports
        .keys()
        .cloned()
        .collect();
    let main_inst = graph.instantiate(main_id);

    for (i, dep) in deps.iter().enumerate() {
        let field = format!("component.{component_id}.dependencies.\"{}\"", dep.import);
        let bytes = std::fs::read(&dep.path)
            .with_context(|| format!("{field}.path: reading {}", dep.path.display()))?;
        let pkg = Package::from_bytes(&format!("app:dep{i}"), None, bytes, graph.types_mut())
            .with_context(|| format!("{field}.path: not a component"))?;
        let dep_id = graph.register_package(pkg)?;
        let dep_exports: Vec<String> = graph.types()[graph[dep_id].ty()]
            .exports
            .keys()
            .cloned()
            .collect();

        // The key names an interface (`ns:pkg/iface@ver`) or a whole package (`ns:pkg`).
        let targets: Vec<&String> = main_imports
            .iter()
            .filter(|imp| matches_key(imp, &dep.import))
            .collect();
        if targets.is_empty() {
            bail!(
                "{field}: the component imports nothing named {:?}",
                dep.import
            );
        }
        let dep_inst = graph.instantiate(dep_id);
        for import in targets {
            let wanted = dep.export.clone().unwrap_or_else(|| import.clone());
            let export = dep_exports
                .iter()
                .find(|e| **e == wanted || unversioned(e) == unversioned(&wanted))
                .ok_or_else(|| {
                    anyhow!(
                        "{field}: dependency exports no {wanted:?} (it exports {dep_exports:?})"
                    )
                })?;
            let alias = graph.alias_instance_export(dep_inst, export)?;
            graph
                .set_instantiation_argument(main_inst, import, alias)
                .with_context(|| format!("{field}: {export:?} does not fit import {import:?}"))?;
        }
    }

    for name in main_exports {
        let alias = graph.alias_instance_export(main_inst, &name)?;
        graph.export(alias, &name)?;
    }
    graph
        .encode(EncodeOptions::default())
        .with_context(|| format!("component.{component_id}: composing dependencies"))
}

fn unversioned(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

fn matches_key(import: &str, key: &str) -> bool {
    if import == key || unversioned(import) == unversioned(key) {
        return true;
    }
    // Package-level key: every interface of that package.
    !key.contains('/') && unversioned(import).split('/').next() == Some(unversioned(key))
}

#[cfg(test)]
mod tests {
    use super::matches_key;

    #[test]
    fn keys_match_interfaces_and_packages() {
        assert!(matches_key("a:b/c@0.1.0", "a:b/c@0.1.0"));
        assert!(matches_key("a:b/c@0.1.0", "a:b/c"));
        assert!(matches_key("a:b/c@0.1.0", "a:b"));
        assert!(!matches_key("a:b/c@0.1.0", "a:b/d"));
        assert!(!matches_key("a:bc/x", "a:b"));
    }
}
