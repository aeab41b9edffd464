//! Exports: an officer's volunteer-hours statement (JSON or CSV), the approved hours as a CSV a
//! national volunteer portal import takes (1365 자원봉사포털 / VMS batch record upload), and the
//! year's award candidates from the recognition component.
//!
//! Portal CSV columns, one row per approved activity (see openapi/paths/officers.json):
//! 순번, 실적번호, 성명, 생년, 휴대전화, 1365아이디, 봉사일자, 시작시간, 종료시간, 봉사시간,
//! 봉사분, 봉사분야, 활동내용, 활동지역, 인증기관. The portals match a volunteer by name with
//! phone or portal ID, and record one day's service with start, end and recognised time as whole
//! hours plus minutes; 실적번호 is our activity id so a re-import can be de-duplicated. UTF-8
//! with BOM and CRLF, which spreadsheet tools and the portals' upload forms open as Korean text.
//! Notes are never exported: they may name the households visited.

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

use crate::store::officer_activities::{self as store, Activity, hhmm};
use crate::store::officers::{self, Officer};
use safetynet_auth::{Role, Staff};
use safetynet_cases as cases;
use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param};
use safetynet_wire::time;

use crate::recognition_client::{self as recognition, YearRecord, kind_ko};

/// Who certifies the hours (the city's support centre).
pub const CERTIFIER: &str = "울산광역시 명예사회복지공무원 지원센터";
const BOM: &str = "\u{feff}";

/// The portal's service field for each kind (its category list, nearest match).
fn portal_field(kind: &str) -> &'static str {
    match kind {
        "home-visit" => "생활편의지원",
        "information-outreach" => "상담",
        "crisis-report" => "안전방범",
        "training" => "교육",
        _ => "기타",
    }
}

fn csv_text(rows: Vec<Vec<String>>) -> ApiResult<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(&r)
            .map_err(|e| ApiError::internal(format!("csv: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::internal(format!("csv: {e}")))?;
    Ok(format!("{BOM}{}", String::from_utf8_lossy(&bytes)))
}

fn hours_text(minutes: i64) -> String {
    let h = minutes as f64 / 60.0;
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h}")
    }
}

pub fn statement(req: &Request, db: &Db, o: &Officer) -> ApiResult<Response> {
    let year = super::year_param(req, "year")?;
    let format = query_param(req, "format").unwrap_or_else(|| "json".into());
    let acts = store::of_officer(db, &o.id, year, Some("approved"))?;
    let total: i64 = acts.iter().map(|a| a.minutes).sum();
    let (lifetime, _) = store::approved_minutes(db, &o.id)?;
    match format.as_str() {
        "json" => {
            let mut by_kind = serde_json::Map::new();
            for k in recognition::KINDS {
                let m: i64 = acts
                    .iter()
                    .filter(|a| a.kind == *k)
                    .map(|a| a.minutes)
                    .sum();
                by_kind.insert(k.to_string(), json!(m as f64 / 60.0));
            }
            Ok(json_response(
                200,
                &json!({
                    "title": "자원봉사활동 확인서 (명예사회복지공무원)",
                    "certifier": CERTIFIER,
                    "issued_at": time::to_rfc3339(time::now_ms()),
                    "officer": {
                        "id": o.id, "officer_number": o.officer_number, "name": o.name,
                        "birth_year": o.birth_year, "dong": o.dong,
                        "appointed_at": time::to_rfc3339(o.appointed_at),
                    },
                    "year": year,
                    "activities": acts.iter().map(|a| json!({
                        "id": a.id, "date": a.date, "start": hhmm(a.start_minute),
                        "end": hhmm(a.start_minute + a.minutes), "hours": a.minutes as f64 / 60.0,
                        "kind": a.kind, "kind_ko": kind_ko(&a.kind),
                    })).collect::<Vec<_>>(),
                    "activity_count": acts.len(),
                    "total_hours": total as f64 / 60.0,
                    "hours_by_kind": by_kind,
                    "lifetime_hours": lifetime as f64 / 60.0,
                }),
            ))
        }
        "csv" => {
            let mut rows = vec![
                [
                    "위촉번호",
                    "성명",
                    "활동일",
                    "시작",
                    "종료",
                    "인정시간",
                    "활동구분",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for a in &acts {
                rows.push(vec![
                    o.officer_number.clone(),
                    o.name.clone(),
                    a.date.clone(),
                    hhmm(a.start_minute),
                    hhmm(a.start_minute + a.minutes),
                    hours_text(a.minutes),
                    kind_ko(&a.kind).to_string(),
                ]);
            }
            rows.push(vec![
                o.officer_number.clone(),
                o.name.clone(),
                "합계".into(),
                String::new(),
                String::new(),
                hours_text(total),
                format!("{}건", acts.len()),
            ]);
            let name = format!(
                "statement-{}-{}.csv",
                o.officer_number,
                year.map_or("all".to_string(), |y| y.to_string())
            );
            Ok(super::csv_response(csv_text(rows)?, &name))
        }
        _ => Err(ApiError::invalid("format", "json or csv")),
    }
}

fn date_param(req: &Request, name: &str, default: String) -> ApiResult<String> {
    match query_param(req, name) {
        None => Ok(default),
        Some(d) if d.len() == 10 && chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").is_ok() => {
            Ok(d)
        }
        Some(_) => Err(ApiError::invalid(name, "must be a date YYYY-MM-DD")),
    }
}

pub fn volunteer_portal_csv(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::SupportCentre])?;
    let year = &time::date_kst(time::now_ms())[..4];
    let from = date_param(req, "from", format!("{year}-01-01"))?;
    let to = date_param(req, "to", format!("{year}-12-31"))?;
    if from > to {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    let dong = query_param(req, "dong");
    let acts: Vec<Activity> = store::approved_between(db, &from, &to, dong.as_deref())?;
    let mut cache: std::collections::HashMap<String, Option<Officer>> = Default::default();
    let mut rows = vec![
        [
            "순번",
            "실적번호",
            "성명",
            "생년",
            "휴대전화",
            "1365아이디",
            "봉사일자",
            "시작시간",
            "종료시간",
            "봉사시간",
            "봉사분",
            "봉사분야",
            "활동내용",
            "활동지역",
            "인증기관",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for a in &acts {
        if !cache.contains_key(&a.officer_id) {
            cache.insert(a.officer_id.clone(), officers::officer(db, &a.officer_id)?);
        }
        let Some(o) = cache[&a.officer_id].as_ref() else {
            continue;
        };
        rows.push(vec![
            rows.len().to_string(),
            a.id.clone(),
            o.name.clone(),
            o.birth_year.to_string(),
            o.phone.clone(),
            o.volunteer_portal_id.clone().unwrap_or_default(),
            a.date.clone(),
            hhmm(a.start_minute),
            hhmm(a.start_minute + a.minutes),
            (a.minutes / 60).to_string(),
            (a.minutes % 60).to_string(),
            portal_field(&a.kind).to_string(),
            format!("명예사회복지공무원 {}", kind_ko(&a.kind)),
            a.dong.clone(),
            CERTIFIER.to_string(),
        ]);
    }
    eprintln!(
        "volunteer portal export rows={} by={}",
        acts.len(),
        staff.id
    );
    Ok(super::csv_response(
        csv_text(rows)?,
        &format!("volunteer-hours-{from}-{to}.csv"),
    ))
}

pub fn award_candidates(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::SupportCentre])?;
    let year = match super::year_param(req, "year")? {
        Some(y) => y,
        None => time::date_kst(time::now_ms())[..4].parse().unwrap_or(2026),
    };
    let kst = |y: i32| time::parse_rfc3339(&format!("{y:04}-01-01T00:00:00+09:00")).unwrap_or(0);
    let reports: std::collections::HashMap<String, i64> =
        cases::reporter_counts(db, kst(year), kst(year + 1))?
            .into_iter()
            .collect();
    let records: Vec<YearRecord> = store::year_records(db, year)?
        .into_iter()
        .map(|r| YearRecord {
            crisis_reports: reports.get(&r.officer_id).copied().unwrap_or(0) as u32,
            officer_id: r.officer_id,
            approved_minutes: r.minutes.max(0) as u64,
            activities: r.activities as u32,
            active_months: r.active_months as u32,
            home_visits: r.home_visits as u32,
        })
        .collect();
    let mut out: Vec<Value> = Vec::new();
    for c in recognition::award_candidates(&records)? {
        let o = officers::officer(db, &c.officer_id)?;
        out.push(json!({
            "award_id": c.award_id,
            "award_name_ko": c.award_name_ko,
            "rank": c.rank,
            "score": c.score as f64 / 100.0,
            "officer_id": c.officer_id,
            "officer_number": o.as_ref().map(|o| o.officer_number.clone()),
            "name": o.as_ref().map(|o| o.name.clone()),
            "dong": o.as_ref().map(|o| o.dong.clone()),
            "reasons": c.reasons,
        }));
    }
    Ok(json_response(
        200,
        &json!({ "year": year, "candidates": out }),
    ))
}
