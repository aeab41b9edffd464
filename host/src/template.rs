//! Spin's `{{ variable }}` templates, used in component variables and outbound hosts.

use anyhow::{Result, bail};
use std::collections::BTreeMap;

/// Spin variable names: lowercase ASCII letters, digits and underscores, starting with a letter.
pub fn check_variable_name(name: &str) -> Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!("invalid variable name {name:?}: use lowercase letters, digits and '_'");
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Variable(String),
}

/// A parsed template such as `pre-{{ greeting }}-post`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                bail!("unclosed '{{{{' in template {text:?}");
            };
            let name = after[..end].trim();
            check_variable_name(name)?;
            parts.push(Part::Variable(name.to_string()));
            rest = &after[end + 2..];
        }
        if rest.contains("}}") {
            bail!("stray '}}}}' in template {text:?}");
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// The variable names the template refers to.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable(v) => Some(v.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Expands the template; every variable must be in `values`.
    pub fn render(&self, values: &BTreeMap<String, String>) -> Result<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(l) => out.push_str(l),
                Part::Variable(v) => match values.get(v) {
                    Some(val) => out.push_str(val),
                    None => bail!("variable \"{v}\" has no value"),
                },
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_literals_and_variables() {
        let t = Template::parse("pre-{{ a }}-{{b}}").unwrap();
        let vals = BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_eq!(t.render(&vals).unwrap(), "pre-1-2");
        assert_eq!(t.variables().collect::<Vec<_>>(), vec!["a", "b"]);
    }

    #[test]
    fn rejects_unclosed() {
        assert!(Template::parse("{{ a").is_err());
        assert!(Template::parse("{{ Bad }}").is_err());
    }
}
