//! Assembles the OpenAPI document from `openapi/base.json` and one file per area in
//! `openapi/paths/`, so each area's endpoints are documented beside the others without one big
//! file everybody edits.

use serde_json::Value;
use std::path::Path;

fn merge_object(into: &mut Value, from: &Value, what: &str) {
    let (Some(into), Some(from)) = (into.as_object_mut(), from.as_object()) else {
        return;
    };
    for (k, v) in from {
        if into.insert(k.clone(), v.clone()).is_some() {
            panic!("openapi: {what} {k:?} is defined twice");
        }
    }
}

/// The enumerations the suite's vocabulary defines take their values from it, so the document
/// cannot list a kind, role or state the code does not know (or miss one it does).
fn fill_vocabulary(doc: &mut Value) {
    use safetynet_vocabulary::{Channel, Eligibility, EventKind, IncidentState, Role, Severity};
    let assignable: Vec<&str> = Role::ASSIGNABLE.iter().map(|r| r.as_str()).collect();
    let lists: [(&str, &[&str]); 6] = [
        ("EventKind", EventKind::NAMES),
        ("Eligibility", Eligibility::NAMES),
        ("StaffRole", &assignable),
        ("Severity", Severity::NAMES),
        ("IncidentState", IncidentState::NAMES),
        ("NotificationChannel", Channel::NAMES),
    ];
    for (schema, names) in lists {
        let s = &mut doc["components"]["schemas"][schema];
        assert!(s.is_object(), "openapi: schema {schema} is missing");
        assert!(
            s.get("enum").is_none(),
            "openapi: {schema}'s values come from safetynet-vocabulary; remove its enum"
        );
        s["enum"] = Value::from(names.to_vec());
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("base.json")).unwrap()).unwrap();
    let mut parts: Vec<_> = std::fs::read_dir(root.join("paths"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    parts.sort();
    for p in parts {
        println!("cargo:rerun-if-changed={}", p.display());
        if p.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let part: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        merge_object(&mut doc["paths"], &part["paths"], "path");
        for section in ["schemas", "parameters", "responses"] {
            if part["components"][section].is_object() {
                if !doc["components"][section].is_object() {
                    doc["components"][section] = Value::Object(Default::default());
                }
                merge_object(
                    &mut doc["components"][section],
                    &part["components"][section],
                    section,
                );
            }
        }
    }
    fill_vocabulary(&mut doc);
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("openapi.json");
    std::fs::write(out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}
