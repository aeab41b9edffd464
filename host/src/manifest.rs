//! Reading and checking a Spin 3.x application manifest (`spin_manifest_version = 2`).
//!
//! Only what the suite uses is modelled; other documented keys are accepted and ignored so a
//! manifest that runs on Spin also loads here. Every error names the manifest field at fault,
//! because an operator reading "file not found" without the field has nothing to go on.

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::dependency::DependencyName;
use crate::template::Template;
pub use crate::template::check_variable_name;

/// The keys Spin 3.x knows; like Spin, an unknown key is an error rather than silently ignored
/// (a misspelt `allowed_outbound_host` would otherwise load here and fail there).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, VariableDef>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documented keys the host accepts and has no use for
struct RawApplication {
    name: String,
    version: Option<String>,
    description: Option<String>,
    authors: Option<Vec<String>>,
    targets: Option<toml::Value>,
    trigger: Option<toml::Value>,
    tool: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
}

#[derive(Debug, Deserialize)]
struct RawHttpTrigger {
    route: toml::Value,
    component: toml::Value,
}

/// An application variable from `[variables]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDef {
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documented keys the host accepts and has no use for
struct RawComponent {
    source: toml::Value,
    description: Option<String>,
    files: Option<toml::Value>,
    exclude_files: Option<toml::Value>,
    allowed_http_hosts: Option<toml::Value>,
    key_value_stores: Option<toml::Value>,
    ai_models: Option<toml::Value>,
    build: Option<toml::Value>,
    tool: Option<toml::Value>,
    #[serde(default)]
    dependencies_inherit_configuration: bool,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    dependencies: BTreeMap<String, RawDependency>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDependency {
    path: Option<String>,
    export: Option<String>,
    version: Option<String>,
    registry: Option<String>,
    package: Option<String>,
    url: Option<String>,
    digest: Option<String>,
}

/// A checked application, with paths made absolute.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    pub variables: BTreeMap<String, VariableDef>,
    pub components: BTreeMap<String, Component>,
    pub routes: Vec<HttpRoute>,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub id: String,
    pub source: PathBuf,
    pub allowed_outbound_hosts: Vec<Template>,
    pub sqlite_databases: Vec<String>,
    pub variables: BTreeMap<String, Template>,
    pub environment: BTreeMap<String, String>,
    /// In Spin's order (sorted by parsed name), which decides which clash is reported.
    pub dependencies: Vec<Dependency>,
    /// `dependencies_inherit_configuration`: whether dependencies may use this component's
    /// capabilities (outbound hosts, databases, variables, environment).
    pub dependencies_inherit_configuration: bool,
}

/// A WIT import of a component satisfied by another component's export.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The key as parsed, e.g. `safetynet:routing/routing@0.2.0`.
    pub name: DependencyName,
    /// Which export of the dependency to use (defaults to the import name).
    pub export: Option<String>,
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct HttpRoute {
    /// The route exactly as written, e.g. `/api/v1/incidents/...`.
    pub route: String,
    pub component: String,
    /// Where in `[[trigger.http]]` it came from, for error messages.
    pub index: usize,
}

/// Loads and checks `path`. Errors name the manifest field at fault.
pub fn load(path: &Path) -> Result<App> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read manifest {}", path.display()))?;
    let base = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let base = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };
    parse(&text, &base).with_context(|| format!("invalid manifest {}", path.display()))
}

/// Parses manifest text; relative paths resolve against `base`.
pub fn parse(text: &str, base: &Path) -> Result<App> {
    let raw: RawManifest = toml::from_str(text).map_err(|e| anyhow!("{e}"))?;
    match &raw.spin_manifest_version {
        toml::Value::Integer(2) => {}
        toml::Value::String(s) if s == "2" => {}
        other => bail!("spin_manifest_version: expected 2, found {other}"),
    }
    for (name, def) in &raw.variables {
        check_variable_name(name).with_context(|| format!("variables.{name}"))?;
        if def.required && def.default.is_some() {
            bail!("variables.{name}: a variable cannot be both `required` and have a `default`");
        }
        if !def.required && def.default.is_none() {
            bail!("variables.{name}: give a `default` or mark it `required = true`");
        }
    }

    let mut components = BTreeMap::new();
    for (id, rc) in raw.component {
        let field = |f: &str| format!("component.{id}.{f}");
        let source = match &rc.source {
            toml::Value::String(s) => base.join(s),
            toml::Value::Table(_) => {
                bail!(
                    "{}: remote sources (url/digest) are not supported by this host; build the component and give a path",
                    field("source")
                )
            }
            other => bail!("{}: expected a path, found {other}", field("source")),
        };
        if !source.is_file() {
            bail!(
                "{}: file not found: {} (did you run `make build`?)",
                field("source"),
                source.display()
            );
        }
        let mut allowed = Vec::new();
        for (i, h) in rc.allowed_outbound_hosts.iter().enumerate() {
            let t = Template::parse(h)
                .with_context(|| format!("{}[{i}]", field("allowed_outbound_hosts")))?;
            check_template_vars(&t, &raw.variables)
                .with_context(|| format!("{}[{i}]", field("allowed_outbound_hosts")))?;
            allowed.push(t);
        }
        let mut variables = BTreeMap::new();
        for (name, value) in rc.variables {
            check_variable_name(&name).with_context(|| field(&format!("variables.{name}")))?;
            let t = Template::parse(&value).with_context(|| field(&format!("variables.{name}")))?;
            check_template_vars(&t, &raw.variables)
                .with_context(|| field(&format!("variables.{name}")))?;
            variables.insert(name, t);
        }
        let mut dependencies = Vec::new();
        for (key, dep) in rc.dependencies {
            let f = field(&format!("dependencies.\"{key}\""));
            let name: DependencyName = key.parse().with_context(|| f.clone())?;
            if dep.version.is_some()
                || dep.registry.is_some()
                || dep.package.is_some()
                || dep.url.is_some()
            {
                bail!("{f}: only `path` dependencies are supported by this host");
            }
            let _ = dep.digest;
            let Some(p) = dep.path else {
                bail!("{f}: `path` is required");
            };
            let path = base.join(p);
            if !path.is_file() {
                bail!("{f}.path: file not found: {}", path.display());
            }
            dependencies.push(Dependency {
                name,
                export: dep.export,
                path,
            });
        }
        dependencies.sort_by(|a, b| a.name.cmp(&b.name));
        let keys: Vec<_> = dependencies
            .iter()
            .map(|d| (d.name.clone(), d.export.clone()))
            .collect();
        crate::dependency::validate(&keys)
            .with_context(|| format!("component \"{id}\" has invalid dependencies"))?;
        components.insert(
            id.clone(),
            Component {
                id,
                source,
                allowed_outbound_hosts: allowed,
                sqlite_databases: rc.sqlite_databases,
                variables,
                environment: rc.environment,
                dependencies,
                dependencies_inherit_configuration: rc.dependencies_inherit_configuration,
            },
        );
    }

    let mut routes: Vec<HttpRoute> = Vec::new();
    for (index, t) in raw.trigger.http.into_iter().enumerate() {
        let f = |x: &str| format!("trigger.http[{index}].{x}");
        let component = match t.component {
            toml::Value::String(s) => s,
            _ => bail!(
                "{}: inline components are not supported; name a [component.X]",
                f("component")
            ),
        };
        if !components.contains_key(&component) {
            bail!("{}: no component named \"{component}\"", f("component"));
        }
        let route = match t.route {
            toml::Value::String(s) => s,
            toml::Value::Table(tb) if tb.get("private").is_some() => continue,
            other => bail!("{}: expected a string, found {other}", f("route")),
        };
        if !route.starts_with('/') {
            bail!("{}: must start with '/': {route:?}", f("route"));
        }
        if let Some(prev) = routes.iter().find(|r| r.route == route) {
            bail!(
                "{}: duplicate route {route:?} (also trigger.http[{}])",
                f("route"),
                prev.index
            );
        }
        routes.push(HttpRoute {
            route,
            component,
            index,
        });
    }

    Ok(App {
        name: raw.application.name,
        variables: raw.variables,
        components,
        routes,
    })
}

fn check_template_vars(t: &Template, defs: &BTreeMap<String, VariableDef>) -> Result<()> {
    for v in t.variables() {
        if !defs.contains_key(v) {
            bail!("unknown variable \"{v}\" in template (add it to [variables])");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(extra: &str) -> Result<App> {
        let dir = std::env::temp_dir().join(format!("sn-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.wasm"), b"\0asm").unwrap();
        let text = format!(
            "spin_manifest_version = 2\n[application]\nname = \"t\"\n[variables]\nv = {{ default = \"x\" }}\n{extra}"
        );
        parse(&text, &dir)
    }

    #[test]
    fn names_missing_file() {
        let e = app("[component.a]\nsource = \"missing.wasm\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("component.a.source: file not found"));
    }

    #[test]
    fn names_unknown_component_in_trigger() {
        let e = app("[[trigger.http]]\nroute = \"/\"\ncomponent = \"nope\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("trigger.http[0].component: no component named"));
    }

    #[test]
    fn names_duplicate_route() {
        let e = app("[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nroute = \"/x\"\ncomponent = \"a\"\n[[trigger.http]]\nroute = \"/x\"\ncomponent = \"a\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("trigger.http[1].route: duplicate route"));
    }

    #[test]
    fn names_unknown_template_variable() {
        let e = app(
            "[component.a]\nsource = \"a.wasm\"\n[component.a.variables]\nk = \"{{ nope }}\"\n",
        )
        .unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("component.a.variables.k"), "{msg}");
        assert!(msg.contains("unknown variable \"nope\""), "{msg}");
    }

    #[test]
    fn accepts_valid() {
        let a = app("[component.a]\nsource = \"a.wasm\"\nallowed_outbound_hosts = [\"{{ v }}\"]\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"a\"\n").unwrap();
        assert_eq!(a.routes.len(), 1);
        assert_eq!(a.components["a"].allowed_outbound_hosts.len(), 1);
    }
}
