//! Names in `[component.X.dependencies]` and which imports they satisfy, by Spin's rules.
//!
//! A key is either a plain kebab name (`my-dep`, matching an import of that exact name) or a
//! package spec: `ns:pkg`, `ns:pkg@1.2.3`, `ns:pkg/iface` or `ns:pkg/iface@1.2.3`. Spin orders
//! dependencies by this parsed name (not by their order in the file), which decides which of
//! two clashing dependencies is reported, so [`DependencyName`] orders the same way.

use anyhow::{Context, Result, anyhow, bail};
use semver::Version;
use std::fmt;

/// A parsed dependency key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DependencyName {
    Plain(String),
    Package(PackageName),
}

/// `ns:pkg[/iface][@version]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PackageName {
    /// `ns:pkg`, the name Spin registers the dependency component under.
    pub package: String,
    pub version: Option<Version>,
    pub interface: Option<String>,
}

impl DependencyName {
    /// The name the dependency component is registered under in the composition graph: its
    /// package (without interface or version) or its plain name. Two dependencies with the same
    /// registration name cannot both be composed, which is Spin's rule, not just ours.
    pub fn registration_name(&self) -> String {
        match self {
            DependencyName::Plain(name) => name.clone(),
            DependencyName::Package(p) => p.package.clone(),
        }
    }

    /// Whether this dependency satisfies the component import `import`.
    pub fn matches_import(&self, import: &str) -> Result<bool> {
        let import_is_package = import.contains([':', '/']);
        match self {
            DependencyName::Plain(name) => Ok(!import_is_package && name == import),
            DependencyName::Package(dep) => {
                if !import_is_package {
                    return Ok(false);
                }
                let (package, rest) = import
                    .split_once('/')
                    .ok_or_else(|| anyhow!("invalid import name: {import}"))?;
                let (interface, version) = match rest.split_once('@') {
                    Some((iface, v)) => (
                        iface,
                        Some(
                            Version::parse(v)
                                .with_context(|| format!("invalid version in import {import}"))?,
                        ),
                    ),
                    None => (rest, None),
                };
                Ok(package == dep.package
                    && dep.interface.as_deref().is_none_or(|i| i == interface)
                    && dep
                        .version
                        .as_ref()
                        .is_none_or(|v| version.as_ref() == Some(v)))
            }
        }
    }
}

impl std::str::FromStr for DependencyName {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        if !s.contains([':', '/', '@']) {
            check_kebab(s)?;
            return Ok(DependencyName::Plain(s.to_string()));
        }
        let (name, version) = match s.split_once('@') {
            Some((n, v)) => (
                n,
                Some(Version::parse(v).with_context(|| format!("invalid version {v:?}"))?),
            ),
            None => (s, None),
        };
        let (package, interface) = match name.split_once('/') {
            Some((p, i)) => {
                check_kebab(i)?;
                (p, Some(i.to_string()))
            }
            None => (name, None),
        };
        let Some((namespace, pkg)) = package.split_once(':') else {
            bail!("expected `namespace:package`, found {package:?}");
        };
        check_kebab(namespace)?;
        check_kebab(pkg)?;
        Ok(DependencyName::Package(PackageName {
            package: package.to_string(),
            version,
            interface,
        }))
    }
}

impl fmt::Display for DependencyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DependencyName::Plain(name) => f.write_str(name),
            DependencyName::Package(p) => {
                f.write_str(&p.package)?;
                if let Some(i) = &p.interface {
                    write!(f, "/{i}")?;
                }
                if let Some(v) = &p.version {
                    write!(f, "@{v}")?;
                }
                Ok(())
            }
        }
    }
}

/// Spin's kebab-case: words of ASCII letters and digits joined by `-`, each starting with a
/// letter and either all lowercase or all UPPERCASE.
fn check_kebab(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.split('-').all(|word| {
            let letters = || word.chars().filter(char::is_ascii_alphabetic);
            word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && word.chars().all(|c| c.is_ascii_alphanumeric())
                && (letters().all(|c| c.is_ascii_lowercase())
                    || letters().all(|c| c.is_ascii_uppercase()))
        });
    if !ok {
        bail!("{s:?} is not a kebab-case name");
    }
    Ok(())
}

/// Spin's checks on one component's dependency keys before anything is loaded: a whole-package
/// key cannot name an `export`, and two keys of one package must differ in interface or in
/// semver-compatible version.
pub fn validate(deps: &[(DependencyName, Option<String>)]) -> Result<()> {
    for (name, export) in deps {
        if let DependencyName::Package(p) = name
            && p.interface.is_none()
            && export.is_some()
        {
            bail!(
                "using an export to satisfy the package dependency \"{name}\" is not currently permitted"
            );
        }
    }
    for (i, (this, _)) in deps.iter().enumerate() {
        for (other, _) in &deps[i + 1..] {
            let (DependencyName::Package(a), DependencyName::Package(b)) = (this, other) else {
                continue;
            };
            if a.package != b.package {
                continue;
            }
            let versions_differ = match (&a.version, &b.version) {
                (Some(x), Some(y)) => compatible(x) != compatible(y),
                _ => false,
            };
            let interfaces_differ = match (&a.interface, &b.interface) {
                (Some(x), Some(y)) => x != y,
                _ => false,
            };
            if !versions_differ && !interfaces_differ {
                bail!("dependency \"{this}\" conflicts with \"{other}\"");
            }
        }
    }
    Ok(())
}

/// The part of a version that semver says must match for two versions to be compatible.
fn compatible(v: &Version) -> Version {
    let mut v = v.clone();
    v.build = semver::BuildMetadata::EMPTY;
    if !v.pre.is_empty() {
        return v;
    }
    if v.major > 0 {
        v.minor = 0;
        v.patch = 0;
    } else if v.minor > 0 {
        v.patch = 0;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DependencyName {
        s.parse().unwrap()
    }

    #[test]
    fn keys_match_imports_as_in_spin() {
        for (dep, imports) in [
            ("foo:bar/baz@0.1.0", vec!["foo:bar/baz@0.1.0"]),
            ("foo:bar/baz", vec!["foo:bar/baz@0.1.0", "foo:bar/baz"]),
            ("foo:bar", vec!["foo:bar/baz@0.1.0", "foo:bar/baz"]),
            ("foo:bar@0.1.0", vec!["foo:bar/baz@0.1.0"]),
            ("foo-bar", vec!["foo-bar"]),
        ] {
            for import in imports {
                assert!(
                    name(dep).matches_import(import).unwrap(),
                    "{dep} ~ {import}"
                );
            }
        }
        for (dep, imports) in [
            ("foo:bar/baz@0.1.0", vec!["foo:bar/baz"]),
            ("foo:bar/baz", vec!["foo:bar/bub", "foo:bar/bub@0.1.0"]),
            ("foo:bar", vec!["foo:bub/bib"]),
            ("foo:bar@0.1.0", vec!["foo:bar/baz"]),
            ("foo:bar/baz", vec!["foo:bar/baz-bub", "foo-bar"]),
        ] {
            for import in imports {
                assert!(
                    !name(dep).matches_import(import).unwrap(),
                    "{dep} !~ {import}"
                );
            }
        }
    }

    #[test]
    fn registers_under_package_or_plain_name() {
        assert_eq!(name("a:b/c@0.2.0").registration_name(), "a:b");
        assert_eq!(name("a:b").registration_name(), "a:b");
        assert_eq!(name("my-dep").registration_name(), "my-dep");
        assert_eq!(name("HTTP-dep").registration_name(), "HTTP-dep");
    }

    #[test]
    fn rejects_malformed_keys() {
        for bad in ["Foo", "a:b/c@x", "a/b", "a:b/c-", "a:b/Mixed", ""] {
            assert!(bad.parse::<DependencyName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn validates_like_spin() {
        let deps = |keys: &[(&str, Option<&str>)]| -> Vec<(DependencyName, Option<String>)> {
            keys.iter()
                .map(|(k, e)| (name(k), e.map(str::to_string)))
                .collect()
        };
        assert!(validate(&deps(&[("a:b/c", None), ("a:b/d", None)])).is_ok());
        assert!(validate(&deps(&[("a:b@1.0.0", None), ("a:b@2.0.0", None)])).is_ok());
        let e = validate(&deps(&[("a:b/c@0.2.0", None), ("a:b/c@0.2.1", None)])).unwrap_err();
        assert!(e.to_string().contains("conflicts with"), "{e}");
        assert!(validate(&deps(&[("a:b", None), ("a:b/c", None)])).is_err());
        let e = validate(&deps(&[("a:b", Some("x"))])).unwrap_err();
        assert!(e.to_string().contains("not currently permitted"), "{e}");
    }
}
