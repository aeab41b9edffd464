//! Resolving application variables the way `spin up` does.
//!
//! Precedence, highest first: `--variable name=value`, the `SPIN_VARIABLE_<NAME>` environment
//! variable, the manifest `default`. A `required` variable with no value stops the start-up,
//! naming the variable, rather than failing a request later.

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;

use crate::manifest::{App, Component};

/// Where a value came from; shown at start-up (values of secrets are never shown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Origin {
    Flag,
    Environment,
    Default,
}

#[derive(Debug, Clone)]
pub struct Resolved {
    pub values: BTreeMap<String, String>,
    pub origins: BTreeMap<String, Origin>,
}

/// Resolves every `[variables]` entry. `flags` are `--variable` pairs; `env` looks up the process
/// environment (a parameter so tests need not mutate it).
pub fn resolve(
    app: &App,
    flags: &[(String, String)],
    env: impl Fn(&str) -> Option<String>,
) -> Result<Resolved> {
    for (name, _) in flags {
        if !app.variables.contains_key(name) {
            bail!("--variable {name}: no such variable in [variables]");
        }
    }
    let mut values = BTreeMap::new();
    let mut origins = BTreeMap::new();
    for (name, def) in &app.variables {
        let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
        let (value, origin) = if let Some((_, v)) = flags.iter().rev().find(|(k, _)| k == name) {
            (v.clone(), Origin::Flag)
        } else if let Some(v) = env(&env_name) {
            (v, Origin::Environment)
        } else if let Some(v) = &def.default {
            (v.clone(), Origin::Default)
        } else {
            bail!(
                "variables.{name} is required but has no value: pass --variable {name}=... or set {env_name}"
            );
        };
        values.insert(name.clone(), value);
        origins.insert(name.clone(), origin);
    }
    Ok(Resolved { values, origins })
}

/// The component's own variables (`[component.X.variables]`) with templates expanded.
pub fn component_values(c: &Component, app: &Resolved) -> Result<BTreeMap<String, String>> {
    c.variables
        .iter()
        .map(|(k, t)| {
            let v = t
                .render(&app.values)
                .with_context(|| format!("component.{}.variables.{k}", c.id))?;
            Ok((k.clone(), v))
        })
        .collect()
}

/// Parses a `name=value` flag.
pub fn parse_flag(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))?;
    Ok((k.trim().to_string(), v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse;

    fn app() -> App {
        let dir = std::env::temp_dir().join(format!("sn-vars-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        parse(
            "spin_manifest_version = 2\n[application]\nname = \"t\"\n[variables]\na = { default = \"d\" }\nb = { required = true, secret = true }\n",
            &dir,
        )
        .unwrap()
    }

    #[test]
    fn flag_beats_env_beats_default() {
        let app = app();
        let env = |k: &str| match k {
            "SPIN_VARIABLE_A" => Some("env".to_string()),
            "SPIN_VARIABLE_B" => Some("envb".to_string()),
            _ => None,
        };
        let r = resolve(&app, &[], env).unwrap();
        assert_eq!(r.values["a"], "env");
        let r = resolve(&app, &[("a".into(), "flag".into())], env).unwrap();
        assert_eq!(r.values["a"], "flag");
        let r = resolve(&app, &[("b".into(), "x".into())], |_| None).unwrap();
        assert_eq!(r.values["a"], "d");
    }

    #[test]
    fn missing_required_names_it() {
        let e = resolve(&app(), &[], |_| None).unwrap_err().to_string();
        assert!(e.contains("variables.b is required"), "{e}");
    }

    #[test]
    fn unknown_flag_is_refused() {
        let e = resolve(&app(), &[("zz".into(), "1".into())], |_| None).unwrap_err();
        assert!(e.to_string().contains("--variable zz"));
    }
}
