//! `demo`: a small demo city so a newcomer can press a pendant and watch 119 get the dispatch.
//!
//! Idempotent by marker: if the state file already exists, it is printed again instead.

use anyhow::{Context, Result};
use clap::Args;
use serde_json::{Value, json};
use std::path::PathBuf;

use crate::client::Api;

#[derive(Args)]
pub struct DemoArgs {
    /// Where the demo's tokens and device secrets are written (readable by the operator only).
    #[arg(long, default_value = ".spin/demo.json")]
    out: PathBuf,
}

pub fn run(api: &Api, a: DemoArgs) -> Result<()> {
    if a.out.is_file() {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&a.out)?)?;
        print_summary(&api.base, &v);
        return Ok(());
    }
    let mut staff = Vec::new();
    for (name, role, dong) in [
        ("119 상황실", "dispatcher", None),
        (
            "중앙동 행정복지센터",
            "welfare-centre",
            Some("jungang-dong"),
        ),
        ("태화동 행정복지센터", "welfare-centre", Some("taehwa-dong")),
        ("명예사회복지공무원 지원센터", "support-centre", None),
        ("device bridge clock", "clock", None),
    ] {
        let v = api.ok(
            "POST",
            "/api/v1/staff",
            &json!({"name": name, "role": role, "dong": dong}),
        )?;
        staff.push(json!({"role": role, "dong": dong, "token": v["token"]}));
    }
    // People sign in to the console; each demo account gets its own random password.
    let mut console = Vec::new();
    for (username, name, role, dong) in [
        (
            "jungang",
            "중앙동 복지 담당",
            "welfare-centre",
            Some("jungang-dong"),
        ),
        (
            "taehwa",
            "태화동 복지 담당",
            "welfare-centre",
            Some("taehwa-dong"),
        ),
        ("dispatch", "119 응급관리요원", "dispatcher", None),
        ("operator", "시 운영 관리자", "admin", None),
    ] {
        let password = safetynet_wire::ids::random_hex(6);
        api.ok(
            "POST",
            "/api/v1/staff-accounts",
            &json!({"username": username, "name": name, "role": role, "dong": dong, "password": password}),
        )?;
        console
            .push(json!({"username": username, "password": password, "role": role, "dong": dong}));
    }
    let people = [
        (
            "김순자",
            1941,
            "jungang-dong",
            "elderly-alone",
            "울산광역시 중구 중앙길 12",
            "고혈압, 당뇨",
            35.5694,
            129.3321,
        ),
        (
            "박영호",
            1968,
            "taehwa-dong",
            "middle-aged-single",
            "울산광역시 중구 태화로 45",
            "",
            35.5541,
            129.3087,
        ),
        (
            "이말순",
            1937,
            "taehwa-dong",
            "disabled",
            "울산광역시 중구 태화동 3-7",
            "휠체어 사용, 심장 스텐트",
            35.5560,
            129.3102,
        ),
    ];
    // Each dong's welfare centre goes in the directory first: residents are enrolled only in
    // dongs that have one, and the centre's messages go to its number.
    let mut dongs: Vec<&str> = people.iter().map(|p| p.2).collect();
    dongs.sort_unstable();
    dongs.dedup();
    for (i, dong) in dongs.iter().enumerate() {
        api.ok(
            "PUT",
            &format!("/api/v1/centres/{dong}"),
            &json!({"name": format!("{dong} 행정복지센터"), "phone": format!("052-290-{:04}", 1000 + i)}),
        )?;
    }
    let mut residents = Vec::new();
    for (i, (name, year, dong, elig, addr, notes, lat, lon)) in people.into_iter().enumerate() {
        let r = api.ok(
            "POST",
            "/api/v1/residents",
            &json!({
                "name": name, "birth_year": year, "dong": dong, "eligibility": elig, "address": addr,
                "medical_notes": if notes.is_empty() { Value::Null } else { json!(notes) },
                "location": {"lat": lat, "lon": lon},
                "contacts": [
                    {"name": "보호자 1", "phone": format!("010-2000-00{i}1"), "relation": "child", "priority": 1},
                    {"name": "보호자 2", "phone": format!("010-2000-00{i}2"), "relation": "neighbour", "priority": 2},
                ],
            }),
        )?;
        let id = r["id"].as_str().context("resident id")?.to_string();
        let mut devices = Vec::new();
        // The DC-09 gateway (account 1001, 1002, …) and the speaker reach the suite through the
        // device bridge (`safetynet-cli bridge-config` writes its device table from this file).
        let account = format!("{:04X}", 0x1001 + i);
        for (kind, protocol, hb) in [
            ("pendant", "http", None),
            ("ai-speaker", "mqtt", Some(300)),
            ("smoke", "http", None),
            ("gateway", "dc09", None),
        ] {
            let dc09_account = (protocol == "dc09").then_some(account.as_str());
            let d = api.ok(
                "POST",
                &format!("/api/v1/residents/{id}/devices"),
                &json!({"kind": kind, "protocol": protocol, "heartbeat_interval_s": hb, "dc09_account": dc09_account}),
            )?;
            devices.push(json!({"id": d["id"], "kind": kind, "protocol": protocol, "dc09_account": dc09_account, "secret": d["secret"]}));
        }
        residents.push(json!({"id": id, "dong": dong, "devices": devices}));
    }
    let v = json!({"staff": staff, "console": console, "residents": residents});
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.out, serde_json::to_string_pretty(&v)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&a.out, std::fs::Permissions::from_mode(0o600))?;
    }
    print_summary(&api.base, &v);
    Ok(())
}

fn print_summary(base: &str, v: &Value) {
    println!("Demo city (kept in .spin/demo.json):");
    for s in v["staff"].as_array().into_iter().flatten() {
        println!(
            "  staff  {:<15} {:<14} token {}",
            s["role"].as_str().unwrap_or(""),
            s["dong"].as_str().unwrap_or("-"),
            s["token"].as_str().unwrap_or("")
        );
    }
    for r in v["residents"].as_array().into_iter().flatten() {
        println!(
            "  resident {} ({})",
            r["id"].as_str().unwrap_or(""),
            r["dong"].as_str().unwrap_or("")
        );
        for d in r["devices"].as_array().into_iter().flatten() {
            println!(
                "    device {:<24} {:<10} secret {}",
                d["id"].as_str().unwrap_or(""),
                d["kind"].as_str().unwrap_or(""),
                d["secret"].as_str().unwrap_or("")
            );
        }
    }
    if let Some(accounts) = v["console"].as_array() {
        println!("\nStaff console: {base}/  — sign in as:");
        for c in accounts {
            println!(
                "  {:<9} password {:<13} {} {}",
                c["username"].as_str().unwrap_or(""),
                c["password"].as_str().unwrap_or(""),
                c["role"].as_str().unwrap_or(""),
                c["dong"].as_str().unwrap_or("")
            );
        }
    }
    if let Some(d) = v["residents"][0]["devices"][0].as_object() {
        println!("\nPress the first pendant:");
        println!(
            "  ./target/release/safetynet-cli --url {base} send-event --device {} --secret {} --kind emergency-call",
            d["id"].as_str().unwrap_or(""),
            d["secret"].as_str().unwrap_or("")
        );
    }
}
