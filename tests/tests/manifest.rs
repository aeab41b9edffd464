//! `spin.toml` stays something Spin 3.x runs. What can be seen without running Spin is checked
//! here, so a mistake fails `make test` on any machine, not only where real Spin is installed.

use safetynet_tests::{host_check, root};
use std::collections::BTreeMap;
use toml::Value;

fn manifest() -> Value {
    let text = std::fs::read_to_string(root().join("spin.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

fn components(m: &Value) -> &toml::Table {
    m["component"].as_table().unwrap()
}

/// Application variables with their defaults (required ones have none).
fn defaults(m: &Value) -> BTreeMap<String, Option<String>> {
    m["variables"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let default = v.get("default").and_then(Value::as_str).map(str::to_string);
            (k.clone(), default)
        })
        .collect()
}

/// `{{ name }}` replaced by each variable's default; None when one has no default.
fn render(template: &str, defaults: &BTreeMap<String, Option<String>>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unclosed {{") + start;
        let name = rest[start + 2..end].trim();
        out.push_str(defaults.get(name)?.as_deref()?);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

#[test]
fn the_host_loads_and_composes_spin_toml() {
    // The host refuses unknown keys, undeclared template variables, bad dependency keys and
    // every compose rule of Spin's, so a clean `check` covers those.
    let vars = [
        "--variable",
        "admin_token=check",
        "--variable",
        "secret_key=check",
        "--variable",
        "personal_data_keys=plaintext",
    ];
    if let Err(e) = host_check(&root().join("spin.toml"), &vars) {
        panic!("{e}");
    }
}

#[test]
fn no_component_depends_on_two_components_of_one_wit_package() {
    let m = manifest();
    for (id, c) in components(&m) {
        let Some(deps) = c.get("dependencies").and_then(Value::as_table) else {
            continue;
        };
        let mut packages: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for key in deps.keys() {
            let package = key.split(['/', '@']).next().unwrap();
            packages.entry(package).or_default().push(key);
        }
        for (package, keys) in packages {
            assert!(
                keys.len() == 1,
                "component.{id}: {keys:?} all come from {package}; Spin registers a dependency \
                 under its package name and refuses the second"
            );
        }
    }
}

#[test]
fn every_url_a_component_is_given_is_an_allowed_outbound_host() {
    let m = manifest();
    let defaults = defaults(&m);
    for (id, c) in components(&m) {
        let allowed: Vec<String> = c
            .get("allowed_outbound_hosts")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|h| render(h.as_str().unwrap(), &defaults))
                    .collect()
            })
            .unwrap_or_default();
        let Some(vars) = c.get("variables").and_then(Value::as_table) else {
            continue;
        };
        for (name, template) in vars {
            // The suite's own address, put in links for people; the suite never calls it.
            if name == "public_url" {
                continue;
            }
            let Some(value) = render(template.as_str().unwrap(), &defaults) else {
                continue;
            };
            let Some((scheme, rest)) = value.split_once("://") else {
                continue;
            };
            let origin = format!("{scheme}://{}", rest.split('/').next().unwrap());
            assert!(
                allowed.contains(&origin),
                "component.{id}.variables.{name} = {value:?}, but {origin} is not in its \
                 allowed_outbound_hosts {allowed:?}: Spin would refuse the request"
            );
        }
    }
}

#[test]
fn every_declared_variable_is_used_and_every_used_one_declared() {
    let m = manifest();
    let declared = defaults(&m);
    let text = std::fs::read_to_string(root().join("spin.toml")).unwrap();
    let mut used = std::collections::BTreeSet::new();
    for part in text.split("{{").skip(1) {
        used.insert(part.split("}}").next().unwrap().trim().to_string());
    }
    for name in &used {
        assert!(
            declared.contains_key(name),
            "{{{{ {name} }}}} is used but not in [variables]"
        );
    }
    for name in declared.keys() {
        assert!(
            used.contains(name),
            "variables.{name} is declared but no component reads it"
        );
    }
}
