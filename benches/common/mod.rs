//! What both store and plugin benchmarks share: the synthetic region and the reference check
//! written as native Rust, reading through the same `RegionData` backend as the plugin.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use zemstvo_core::capabilities::data::{
    Batch, ColumnValues, Comparison, Condition, Entity, Filter, Query, RegionData, Scalar,
};
use zemstvo_core::capabilities::smev::AGENCY_PROFILES;
use zemstvo_core::capabilities::tasks::{Priority, RecordRef, Task};
use zemstvo_core::region::{Cell, InMemoryRegion, Table};

pub const DAY: i64 = 86_400;
pub const NOW: i64 = 1_795_413_600; // 2026-11-23T06:00:00Z
const UNITS: u64 = 30;
const PER_UNIT: u64 = 10;
const CITIZENS: u64 = 1_000;

/// A region with `request_count` SMEV requests sent over the last 29 days, answered around each agency's
/// mean answer time (ISU's December 2022 figures).
pub fn region(request_count: u64, application_count: u64) -> InMemoryRegion {
    let mut rng = StdRng::seed_from_u64(48);
    let mut units = Table::new(Entity::Units);
    let mut employees = Table::new(Entity::Employees);
    for u in 0..UNITS {
        let head = 1 + u * PER_UNIT;
        units
            .push(&[
                Cell::U64(u + 1),
                Cell::Text("Отдел"),
                Cell::Absent,
                Cell::U64(head),
            ])
            .unwrap();
        for k in 0..PER_UNIT {
            let manager = if k == 0 {
                Cell::Absent
            } else {
                Cell::U64(head)
            };
            let name = format!("Сотрудник {}", head + k);
            employees
                .push(&[
                    Cell::U64(head + k),
                    Cell::U64(u + 1),
                    Cell::Text(&name),
                    Cell::Text("specialist"),
                    manager,
                    Cell::U32(100),
                    Cell::Flag(true),
                ])
                .unwrap();
        }
    }
    // Applications belong to citizens; the store checks that they exist.
    let mut citizens = Table::new(Entity::Citizens);
    for id in 1..=CITIZENS {
        citizens
            .push(&[
                Cell::U64(id),
                Cell::Absent,
                Cell::Absent,
                Cell::Absent,
                Cell::Flag(true),
                Cell::Text("Советский"),
                Cell::Text("Гражданин"),
                Cell::Text("Липецк"),
                Cell::Absent,
                Cell::Absent,
                Cell::Absent,
                Cell::Absent,
            ])
            .unwrap();
    }
    let mut applications = Table::new(Entity::Applications);
    for id in 1..=application_count {
        let unit = rng.random_range(0..UNITS);
        let assignee = 1 + unit * PER_UNIT + rng.random_range(1..PER_UNIT);
        let number = format!("48-2026-{id:07}");
        let submitted = NOW - 40 * DAY;
        applications
            .push(&[
                Cell::U64(id),
                Cell::Text(&number),
                Cell::U64(1),
                Cell::Text("child-allowance"),
                Cell::Text("portal"),
                Cell::Text("in-work"),
                Cell::U64(assignee),
                Cell::S64(submitted),
                Cell::S64(submitted),
                Cell::S64(submitted),
                Cell::S64(submitted + 14 * DAY),
                Cell::Absent,
                Cell::U32(0),
                Cell::Flag(false),
            ])
            .unwrap();
    }
    let total: u64 = AGENCY_PROFILES.iter().map(|a| a.seed_requests).sum();
    let mut requests = Table::new(Entity::SmevRequests);
    for id in 1..=request_count {
        let mut x = rng.random_range(0..total);
        let (agency, mean) = AGENCY_PROFILES
            .iter()
            .find(|p| {
                let hit = x < p.seed_requests;
                x = x.saturating_sub(p.seed_requests);
                hit
            })
            .map(|p| (p.code, p.mean_answer_days))
            .unwrap();
        let sent = NOW - rng.random_range(0..29 * DAY);
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        let answered = sent + (-u.ln() * mean * DAY as f64) as i64;
        let rejected = rng.random_bool(0.01);
        let message = format!("m-{id}");
        let (status, answered_at) = if rejected {
            ("rejected", Cell::S64(sent + 3_600))
        } else if answered <= NOW {
            ("answered", Cell::S64(answered))
        } else {
            ("sent", Cell::Absent)
        };
        requests
            .push(&[
                Cell::U64(id),
                Cell::U64(rng.random_range(1..=application_count)),
                Cell::Text(agency),
                Cell::Text("income"),
                Cell::Text(&message),
                Cell::S64(sent),
                Cell::Text(status),
                answered_at,
                if rejected {
                    Cell::Text("NO_DATA")
                } else {
                    Cell::Absent
                },
            ])
            .unwrap();
    }
    InMemoryRegion::new(
        "bench",
        Some(NOW),
        [units, employees, citizens, applications, requests],
    )
}

fn query(entity: Entity, columns: &[&str], filters: Vec<(&str, Condition)>) -> Query {
    let schema = entity.schema();
    Query {
        entity,
        columns: columns
            .iter()
            .map(|c| schema.position(c).unwrap())
            .collect(),
        filters: filters
            .into_iter()
            .map(|(c, condition)| Filter {
                column: schema.position(c).unwrap(),
                condition,
            })
            .collect(),
        batch_rows: 16_384,
    }
}

async fn batches(region: &dyn RegionData, q: Query) -> Vec<Batch> {
    let mut cursor = region.open(q).await.unwrap();
    let mut out = Vec::new();
    while let Some(b) = cursor.next_batch().await.unwrap() {
        out.push(b);
    }
    out
}

fn u64s(b: &Batch, i: usize) -> &[u64] {
    match &b.columns[i].values {
        ColumnValues::U64(v) => v,
        _ => unreachable!(),
    }
}

fn s64s(b: &Batch, i: usize) -> &[i64] {
    match &b.columns[i].values {
        ColumnValues::S64(v) => v,
        _ => unreachable!(),
    }
}

fn text(b: &Batch, i: usize, row: usize) -> &str {
    match &b.columns[i].values {
        ColumnValues::Text(t) => t.get(row),
        _ => unreachable!(),
    }
}

fn present(b: &Batch, i: usize, row: usize) -> bool {
    b.columns[i].present.is_empty() || b.columns[i].present[row] != 0
}

struct Late {
    request: u64,
    application: u64,
    agency: String,
    sent_at: i64,
    answered_at: Option<i64>,
    waited: i64,
}

pub async fn native_rule(
    region: &dyn RegionData,
    now: i64,
    max_wait_days: i64,
    lookback_days: i64,
) -> Vec<Task> {
    let since = now - lookback_days * DAY;
    let q = query(
        Entity::SmevRequests,
        &["id", "application_id", "agency", "sent_at", "answered_at"],
        vec![
            (
                "sent_at",
                Condition::Compare(Comparison::Ge, Scalar::Integer(since)),
            ),
            (
                "status",
                Condition::Compare(Comparison::Ne, Scalar::Text("rejected".into())),
            ),
        ],
    );
    let mut late = Vec::new();
    let mut cursor = region.open(q).await.unwrap();
    while let Some(b) = cursor.next_batch().await.unwrap() {
        let (ids, apps, sent, answered) = (u64s(&b, 0), u64s(&b, 1), s64s(&b, 3), s64s(&b, 4));
        for i in 0..b.rows {
            let answered_at = present(&b, 4, i).then(|| answered[i]);
            let waited = answered_at.unwrap_or(now) - sent[i];
            if waited > max_wait_days * DAY {
                late.push(Late {
                    request: ids[i],
                    application: apps[i],
                    agency: text(&b, 2, i).to_string(),
                    sent_at: sent[i],
                    answered_at,
                    waited,
                });
            }
        }
    }
    let app_ids: Vec<u64> = late
        .iter()
        .map(|l| l.application)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut cases: HashMap<u64, (String, Option<u64>)> = HashMap::new();
    for chunk in app_ids.chunks(5_000) {
        let lits = chunk.iter().map(|&id| Scalar::Integer(id as i64)).collect();
        for b in batches(
            region,
            query(
                Entity::Applications,
                &["id", "number", "assignee_id"],
                vec![("id", Condition::AnyOf(lits))],
            ),
        )
        .await
        {
            for i in 0..b.rows {
                let assignee = present(&b, 2, i).then(|| u64s(&b, 2)[i]);
                cases.insert(u64s(&b, 0)[i], (text(&b, 1, i).to_string(), assignee));
            }
        }
    }
    let emp_ids: Vec<u64> = cases
        .values()
        .filter_map(|c| c.1)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut staff: HashMap<u64, (String, Option<u64>, u64)> = HashMap::new();
    for chunk in emp_ids.chunks(5_000) {
        let lits = chunk.iter().map(|&id| Scalar::Integer(id as i64)).collect();
        for b in batches(
            region,
            query(
                Entity::Employees,
                &["id", "full_name", "manager_id", "unit_id"],
                vec![("id", Condition::AnyOf(lits))],
            ),
        )
        .await
        {
            for i in 0..b.rows {
                let manager = present(&b, 2, i).then(|| u64s(&b, 2)[i]);
                staff.insert(
                    u64s(&b, 0)[i],
                    (text(&b, 1, i).to_string(), manager, u64s(&b, 3)[i]),
                );
            }
        }
    }
    let mut heads = HashMap::new();
    for b in batches(region, query(Entity::Units, &["id", "head_id"], vec![])).await {
        for i in 0..b.rows {
            if present(&b, 1, i) {
                heads.insert(u64s(&b, 0)[i], u64s(&b, 1)[i]);
            }
        }
    }
    let mut by_manager: BTreeMap<u64, Vec<(&Late, u64)>> = BTreeMap::new();
    for l in &late {
        let Some(employee) = cases.get(&l.application).and_then(|c| c.1) else {
            continue;
        };
        let Some(who) = staff.get(&employee) else {
            continue;
        };
        let manager = who
            .1
            .or_else(|| heads.get(&who.2).copied().filter(|&h| h != employee));
        if let Some(manager) = manager {
            by_manager.entry(manager).or_default().push((l, employee));
        }
    }
    let day = time::OffsetDateTime::from_unix_timestamp(now)
        .unwrap()
        .date();
    let date = |ts: i64| {
        let d = time::OffsetDateTime::from_unix_timestamp(ts)
            .unwrap()
            .date();
        format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year())
    };
    let days = |s: i64| format!("{:.1}", s as f64 / DAY as f64).replace('.', ",");
    let mut tasks = Vec::new();
    for (manager, requests) in by_manager {
        let mut by_employee: BTreeMap<u64, Vec<&Late>> = BTreeMap::new();
        for (r, e) in &requests {
            by_employee.entry(*e).or_default().push(r);
        }
        let mut description = format!(
            "Ответы на межведомственные запросы ожидались дольше нормы ({max_wait_days} дн.). \
             Дела по ним стоят, а сроки предоставления услуг истекают.\n"
        );
        let mut listed = 0;
        for (employee, list) in &by_employee {
            if listed == 50 {
                break;
            }
            let name = staff
                .get(employee)
                .map_or("(сотрудник не найден)", |s| s.0.as_str());
            description.push_str(&format!("\n{name}:\n"));
            for r in list.iter().take(50 - listed) {
                listed += 1;
                let number = cases.get(&r.application).map_or("?", |c| c.0.as_str());
                let answer = match r.answered_at {
                    Some(at) => format!("ответ {}", date(at)),
                    None => "ответа нет".to_string(),
                };
                description.push_str(&format!(
                    "  • дело № {number}, {}: запрос {}, {answer}, ожидание {} дн.\n",
                    r.agency.to_uppercase(),
                    date(r.sent_at),
                    days(r.waited)
                ));
            }
        }
        if listed < requests.len() {
            description.push_str(&format!(
                "\n… и ещё {} запрос(ов): полный список — в записях задачи.\n",
                requests.len() - listed
            ));
        }
        let worst = requests.iter().map(|(r, _)| r.waited).max().unwrap_or(0);
        let agencies: BTreeSet<String> = requests
            .iter()
            .map(|(r, _)| r.agency.to_uppercase())
            .collect();
        let agencies: Vec<String> = agencies.into_iter().collect();
        let mut records: Vec<RecordRef> = requests
            .iter()
            .take(4_000)
            .map(|(r, _)| RecordRef {
                entity: Entity::SmevRequests,
                id: r.request,
            })
            .collect();
        let apps: BTreeSet<u64> = requests.iter().map(|(r, _)| r.application).collect();
        records.extend(apps.into_iter().take(4_000).map(|id| RecordRef {
            entity: Entity::Applications,
            id,
        }));
        tasks.push(Task {
            key: format!("isu-smev-answer-delay/{manager}/{day}"),
            assignee: manager,
            subject: None,
            title: format!("Ответы СМЭВ ожидались дольше {max_wait_days} дн.: {} запрос(ов)", requests.len()),
            description,
            records,
            steps: vec![
                "Проверьте в СМЭВ-адаптере, что запросы доставлены; недоставленные направьте повторно".into(),
                format!("Свяжитесь с ведомствами ({}) по запросам без ответа", agencies.join(", ")),
                "Если срок рассмотрения дела под угрозой, продлите его или уведомите заявителя".into(),
                "Разберите с сотрудниками причины задержек и отметьте задачу выполненной".into(),
            ],
            priority: if worst >= 2 * max_wait_days * DAY { Priority::High } else { Priority::Normal },
            due: Some(now + DAY),
        });
    }
    tasks
}

/// Trusts a bench vendor's key and installs the reference plugins whose names `pick` accepts,
/// signed by it, enabled with their declared grants; answers their names. What the benchmarks
/// of the whole path (`decisions`, `region_checks`) install their plugins with.
pub async fn install_signed(
    host: &zemstvo_service::RegionHost,
    pick: impl Fn(&str) -> bool,
) -> Vec<String> {
    use zemstvo_registry::{NamePattern, SecretKey, VendorId};
    let key = SecretKey::from_seed(&[5; 32]);
    let vendor = VendorId::new("bench-vendor").unwrap();
    host.installations()
        .update_trust("bench", "trust-add", serde_json::json!({}), |t| {
            t.trust(key.public_key(), vendor.clone(), vec![NamePattern::any()])
        })
        .await
        .unwrap();
    let options = zemstvo_service::InstallOptions {
        enable: true,
        grant_declared: true,
        actor: "bench".into(),
        ..Default::default()
    };
    let mut names = Vec::new();
    for artifact in zemstvo_plugin_artifacts::REFERENCE {
        if pick(artifact.name) {
            zemstvo_service::pack_and_install(host, artifact.bytes, &vendor, &key, &options)
                .await
                .unwrap();
            names.push(artifact.name.to_string());
        }
    }
    names
}
