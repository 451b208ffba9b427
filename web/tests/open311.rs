//! Open311 GeoReport v2 over real HTTP, on SQLite and PostgreSQL: a channel files requests the
//! way the specification's examples do, reads them back as the public sees them (no applicant's
//! data), and every refusal is the specification's error list with its status and nothing
//! stored.

mod common;

use common::serve;
use reqwest::StatusCode;
use serde_json::{Value, json};
use zemstvo_core::appeals::{
    Authority, Boundary, Catalogue, Category, Classification, Impact, Routing, Territory, Urgency,
};
use zemstvo_store::Store;
use zemstvo_store::appeals::{AppealFilter, RoutingPolicy};
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;
use zemstvo_web::auth::hash_secret;

const KEY: &str = "dobrodel-key-0123456789";

fn catalogue() -> Catalogue {
    Catalogue {
        version: "open311-test".into(),
        categories: vec![
            Category {
                code: "roads.pothole".into(),
                title: "Яма на дороге".into(),
                topic: "roads".into(),
                keywords: vec!["яма".into(), "выбоина".into()],
                phrases: vec![],
                urgency: Urgency::Medium,
                impact: Impact::Street,
                deadline_days: Some(10),
            },
            Category {
                code: "yards.lighting".into(),
                title: "Не горит фонарь во дворе".into(),
                topic: "yards".into(),
                keywords: vec!["фонарь".into()],
                phrases: vec![],
                urgency: Urgency::Low,
                impact: Impact::Building,
                deadline_days: None,
            },
        ],
        authorities: vec![Authority {
            code: "roads-dept".into(),
            title: "Управление дорог".into(),
            topics: vec!["roads".into()],
            territories: vec![],
        }],
        // The city's outline, simplified to a box; the point of the specification's example
        // lies inside, Elets (52.62, 38.50) outside.
        territories: vec![Territory {
            code: "lipetsk".into(),
            title: "Город Липецк".into(),
            boundary: Boundary::Polygon(vec![vec![
                [39.45, 52.53],
                [39.75, 52.53],
                [39.75, 52.68],
                [39.45, 52.68],
                [39.45, 52.53],
            ]]),
        }],
    }
}

/// A form's fields in order.
type Form = Vec<(&'static str, String)>;

/// The fields of the specification's POST example, for this region.
fn pothole() -> Form {
    vec![
        ("api_key", KEY.into()),
        ("service_code", "roads.pothole".into()),
        ("lat", "52.6031".into()),
        ("long", "39.5708".into()),
        ("address_string", "Липецк, ул. Советская, 12".into()),
        ("email", "ivanova@example.ru".into()),
        ("first_name", "Мария".into()),
        ("last_name", "Иванова".into()),
        ("phone", "+7 (900) 123-45-67".into()),
        (
            "description",
            "Глубокая яма у остановки, машины объезжают по встречной".into(),
        ),
        ("media_url", "https://example.ru/photo/1.jpg".into()),
        ("attribute[address_details]", "у остановки «Школа»".into()),
    ]
}

struct Open311 {
    base: String,
    client: reqwest::Client,
}

impl Open311 {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        read(path, response).await
    }

    async fn post_form(&self, form: &[(&str, String)]) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/open311/v2/requests.json", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        read("POST requests.json", response).await
    }

    async fn post_json(&self, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/open311/v2/requests.json", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        read("POST requests.json (JSON)", response).await
    }
}

/// The status and body; every answer is JSON, and every error the specification's list of
/// one `{code, description}` whose code is the HTTP status.
async fn read(what: &str, response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {status} is {content_type}: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    if !status.is_success() {
        let errors = body.as_array().unwrap_or_else(|| panic!("{what}: {body}"));
        assert_eq!(errors.len(), 1, "{what}: {body}");
        assert_eq!(errors[0]["code"], status.as_u16(), "{what}: {body}");
        assert!(errors[0]["description"].as_str().is_some(), "{body}");
    }
    (status, body)
}

fn description(body: &Value) -> &str {
    body[0]["description"].as_str().unwrap()
}

async fn appeals(store: &Store) -> usize {
    store
        .appeals(&AppealFilter {
            limit: 100_000,
            ..AppealFilter::default()
        })
        .await
        .unwrap()
        .len()
}

async fn services_and_requests(db: TestDatabase) {
    let served = serve(db).await;
    let store = served.db.store().await;
    let api = Open311 {
        base: served.base.clone(),
        client: reqwest::Client::new(),
    };

    // Before a catalogue is loaded there are no services, and nothing can be filed.
    let (status, body) = api.get("/open311/v2/services.json").await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
    store
        .load_appeal_catalogue(&catalogue(), "test")
        .await
        .unwrap();
    store
        .add_appeal_channel("dobrodel", &hash_secret(KEY))
        .await
        .unwrap();

    // GET services.json: one service per category.
    let (status, body) = api
        .get("/open311/v2/services.json?jurisdiction_id=lipetsk")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let services = body.as_array().unwrap();
    assert_eq!(services.len(), 2);
    assert_eq!(
        services[0],
        json!({
            "service_code": "roads.pothole",
            "service_name": "Яма на дороге",
            "description": "Яма на дороге. Срок ответа — до 10 дней.",
            "metadata": true,
            "type": "realtime",
            "keywords": "яма,выбоина",
            "group": "roads",
        })
    );

    // GET services/{code}.json: the attributes.
    let (status, body) = api.get("/open311/v2/services/roads.pothole.json").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["service_code"], "roads.pothole");
    let attribute = &body["attributes"][0];
    assert_eq!(attribute["code"], "address_details");
    assert_eq!(attribute["datatype"], "string");
    assert_eq!(attribute["required"], false);
    assert_eq!(attribute["variable"], true);
    assert_eq!(attribute["order"], 1);
    assert_eq!(attribute["values"], json!([]));
    let (status, body) = api.get("/open311/v2/services/roads.unknown.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(description(&body).contains("roads.unknown"), "{body}");

    // POST requests.json, form-encoded as the specification's example.
    let (status, body) = api.post_form(&pothole()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(id.parse::<u64>().is_ok(), "{body}");
    assert_eq!(body[0]["account_id"], Value::Null);
    assert!(
        body[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("10 дней"),
        "{body}"
    );
    let stored = store.appeal(id.parse().unwrap()).await.unwrap();
    assert_eq!(stored.channel, "dobrodel");
    assert_eq!(stored.service_code.as_deref(), Some("roads.pothole"));
    assert_eq!(stored.status, "received");
    assert_eq!((stored.lat, stored.lon), (Some(52.6031), Some(39.5708)));
    assert_eq!(stored.address.as_deref(), Some("Липецк, ул. Советская, 12"));
    // The point lies in the city's outline: the appeal is the city's, for its authority.
    assert_eq!(stored.territory.as_deref(), Some("lipetsk"));

    // The same as JSON, with an address and no point.
    let (status, body) = api
        .post_json(&json!({
            "api_key": KEY,
            "service_code": "yards.lighting",
            "address_string": "Липецк, ул. Гагарина, 5, двор",
            "description": "Третью неделю не горит фонарь у второго подъезда",
            "attribute": {"address_details": "подъезд 2"},
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let lighting = body[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(
        body[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("при распределении"),
        "{body}"
    );

    // GET requests/{id}.json: a list of one, open, no deadline until routed, no personal data.
    let (status, body) = api.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 1);
    let request = &body[0];
    assert_eq!(request["service_request_id"], id.as_str());
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "roads.pothole");
    assert_eq!(request["service_name"], "Яма на дороге");
    assert_eq!(request["agency_responsible"], Value::Null);
    assert_eq!(request["expected_datetime"], Value::Null);
    assert_eq!(request["address"], "Липецк, ул. Советская, 12");
    assert_eq!(request["address_id"], Value::Null);
    assert_eq!(request["zipcode"], Value::Null);
    assert_eq!(request["lat"], 52.6031);
    assert_eq!(request["long"], 39.5708);
    assert_eq!(request["media_url"], "https://example.ru/photo/1.jpg");
    assert!(
        request["status_notes"]
            .as_str()
            .unwrap()
            .contains("получено")
    );
    // The region is in Europe/Moscow: datetimes carry its offset.
    let requested = request["requested_datetime"].as_str().unwrap();
    assert!(requested.ends_with("+03:00"), "{requested}");
    assert!(chrono_like(requested), "{requested}");
    let (_, list) = api.get("/open311/v2/requests.json").await;
    for text in [body.to_string(), list.to_string()] {
        for private in [
            "ivanova@example.ru",
            "Мария",
            "Иванова",
            "123-45-67",
            "dobrodel",
        ] {
            assert!(!text.contains(private), "{private} is public: {text}");
        }
    }

    // GET requests.json: newest first, with the specification's filters.
    let ids = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&list), vec![lighting.clone(), id.clone()]);
    let (_, body) = api
        .get("/open311/v2/requests.json?service_code=roads.pothole")
        .await;
    assert_eq!(ids(&body), vec![id.clone()]);
    let (_, body) = api
        .get("/open311/v2/requests.json?service_code=roads.pothole,yards.lighting&status=open")
        .await;
    assert_eq!(ids(&body), vec![lighting.clone(), id.clone()]);
    let (_, body) = api.get("/open311/v2/requests.json?status=closed").await;
    assert_eq!(ids(&body), Vec::<String>::new());
    let (_, body) = api
        .get(&format!(
            "/open311/v2/requests.json?service_request_id={id},{lighting}&status=closed"
        ))
        .await;
    assert_eq!(ids(&body), vec![lighting.clone(), id.clone()], "ids win");
    let (status, body) = api
        .get("/open311/v2/requests.json?start_date=2010-01-01T00:00:00Z&end_date=2010-02-01T00:00:00%2B03:00")
        .await;
    assert_eq!((status, ids(&body)), (StatusCode::OK, vec![]));
    let (status, body) = api
        .get("/open311/v2/requests.json?start_date=2010-01-01&end_date=2010-12-01")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(description(&body).contains("90"), "{body}");
    for bad in [
        "status=pending",
        "start_date=yesterday",
        "service_request_id=abc",
        "limit=5",
        "status=open&status=closed",
    ] {
        let (status, _) = api.get(&format!("/open311/v2/requests.json?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (status, _) = api.get("/open311/v2/requests/999999.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.get("/open311/v2/requests/abc.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Routed: the authority and the deadline show; answered: closed with the answer.
    store
        .set_appeal_authority("roads-dept", served.employee, Some(served.manager))
        .await
        .unwrap();
    let number: u64 = id.parse().unwrap();
    let routing = Routing {
        classification: Classification {
            category: Some("roads.pothole".into()),
            catalogue_version: "open311-test".into(),
            urgency: Urgency::Medium,
            impact: Impact::Street,
            confidence: 0.95,
        },
        authority: Some("roads-dept".into()),
        deadline_days: 10,
        merge_candidates: vec![],
        needs_review: false,
        trace: vec![],
    };
    let at = stored.received_at + 60;
    store
        .apply_routing(
            number,
            &routing,
            "appeal-router",
            "run-1",
            RoutingPolicy::default(),
            at,
        )
        .await
        .unwrap();
    let (_, body) = api.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(body[0]["status"], "open");
    assert_eq!(body[0]["agency_responsible"], "Управление дорог");
    assert!(body[0]["expected_datetime"].as_str().is_some(), "{body}");
    assert!(
        body[0]["status_notes"]
            .as_str()
            .unwrap()
            .contains("Управление дорог"),
        "{body}"
    );
    let incident = store.appeal(number).await.unwrap().incident_id.unwrap();
    store
        .answer_incident(incident, "Яму заделали 3 марта", "employee", at + 60)
        .await
        .unwrap();
    let (_, body) = api.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(body[0]["status"], "closed");
    assert_eq!(body[0]["status_notes"], "Яму заделали 3 марта");
    let (_, body) = api.get("/open311/v2/requests.json?status=closed").await;
    assert_eq!(ids(&body), vec![id.clone()]);

    // A point outside every outline leaves the territory to the region (its ОИВ answers).
    let mut elets = pothole();
    elets[2].1 = "52.6236".into();
    elets[3].1 = "38.5035".into();
    let (status, body) = api.post_form(&elets).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let outside = body[0]["service_request_id"].as_str().unwrap();
    let outside = store.appeal(outside.parse().unwrap()).await.unwrap();
    assert_eq!(
        outside.territory, None,
        "outside every outline: the region's"
    );
}

/// `YYYY-MM-DDTHH:MM:SS+HH:MM`.
fn chrono_like(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 25 && b[4] == b'-' && b[10] == b'T' && b[13] == b':' && b[19] == b'+'
}

async fn refusals(db: TestDatabase) {
    let served = serve(db).await;
    let store = served.db.store().await;
    let api = Open311 {
        base: served.base.clone(),
        client: reqwest::Client::new(),
    };
    store
        .load_appeal_catalogue(&catalogue(), "test")
        .await
        .unwrap();
    store
        .add_appeal_channel("dobrodel", &hash_secret(KEY))
        .await
        .unwrap();
    let before = appeals(&store).await;

    let with = |name: &'static str, value: &str| {
        let mut form = pothole();
        form.retain(|(n, _)| *n != name);
        form.push((name, value.to_string()));
        form
    };
    let without = |name: &'static str| {
        let mut form = pothole();
        form.retain(|(n, _)| *n != name);
        form
    };
    let cases: Vec<(&str, Form, StatusCode, &str)> = vec![
        (
            "missing service_code",
            without("service_code"),
            StatusCode::BAD_REQUEST,
            "service_code",
        ),
        (
            "unknown service_code",
            with("service_code", "roads.potholes"),
            StatusCode::BAD_REQUEST,
            "roads.potholes",
        ),
        ("lat 95", with("lat", "95"), StatusCode::BAD_REQUEST, "lat"),
        (
            "long NaN",
            with("long", "NaN"),
            StatusCode::BAD_REQUEST,
            "long",
        ),
        (
            "lat without long",
            without("long"),
            StatusCode::BAD_REQUEST,
            "long",
        ),
        (
            "oversized description",
            with("description", &"я".repeat(4_001)),
            StatusCode::BAD_REQUEST,
            "description",
        ),
        (
            "missing description",
            without("description"),
            StatusCode::BAD_REQUEST,
            "description",
        ),
        (
            "control characters",
            with("address_string", "ул. Советская\u{0}12"),
            StatusCode::BAD_REQUEST,
            "address_string",
        ),
        (
            "a media_url that is not http",
            with("media_url", "javascript:alert(1)"),
            StatusCode::BAD_REQUEST,
            "media_url",
        ),
        (
            "an oversized media_url",
            with(
                "media_url",
                &format!("https://example.ru/{}", "a".repeat(2_000)),
            ),
            StatusCode::BAD_REQUEST,
            "media_url",
        ),
        (
            "a bad e-mail",
            with("email", "not an e-mail"),
            StatusCode::BAD_REQUEST,
            "email",
        ),
        (
            "lon for long",
            with("lon", "39.5"),
            StatusCode::BAD_REQUEST,
            "long",
        ),
        (
            "an unknown attribute",
            with("attribute[colour]", "red"),
            StatusCode::BAD_REQUEST,
            "attribute[colour]",
        ),
        (
            "a bad api_key",
            with("api_key", "guessed"),
            StatusCode::FORBIDDEN,
            "api_key",
        ),
        (
            "no api_key",
            without("api_key"),
            StatusCode::FORBIDDEN,
            "api_key",
        ),
    ];
    for (what, form, expected, mentions) in cases {
        let (status, body) = api.post_form(&form).await;
        assert_eq!(status, expected, "{what}: {body}");
        assert!(description(&body).contains(mentions), "{what}: {body}");
    }
    // No place at all.
    let mut form = without("lat");
    form.retain(|(n, _)| !matches!(*n, "long" | "address_string"));
    let (status, body) = api.post_form(&form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // JSON bodies: scalars only, and an object.
    let (status, _) = api
        .post_json(&json!({"api_key": KEY, "service_code": ["roads.pothole"]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = api.post_json(&json!(["not", "an", "object"])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The body: too large, of another type, or XML asked for.
    let response = api
        .client
        .post(format!("{}/open311/v2/requests.json", api.base))
        .form(&with("description", &"я".repeat(40_000)))
        .send()
        .await
        .unwrap();
    let (status, _) = read("large body", response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let response = api
        .client
        .post(format!("{}/open311/v2/requests.json", api.base))
        .header("content-type", "text/xml")
        .body("<service_request/>")
        .send()
        .await
        .unwrap();
    let (status, _) = read("xml body", response).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = api
        .client
        .post(format!("{}/open311/v2/requests.xml", api.base))
        .form(&pothole())
        .send()
        .await
        .unwrap();
    let (status, body) = read("requests.xml", response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(description(&body).contains("JSON"), "{body}");
    for path in [
        "/open311/v2/services.xml",
        "/open311/v2/services/roads.pothole.xml",
        "/open311/v2/requests.xml",
        "/open311/v2/requests/1.xml",
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(description(&body).contains("JSON"), "{path}: {body}");
    }
    let (status, _) = api.get("/open311/v2/discovery.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = api
        .client
        .delete(format!("{}/open311/v2/services.json", api.base))
        .send()
        .await
        .unwrap();
    let (status, _) = read("DELETE services.json", response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    assert_eq!(
        appeals(&store).await,
        before,
        "a refused request stored nothing"
    );
    // The same request, put right, is filed.
    let (status, _) = api.post_form(&pothole()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(appeals(&store).await, before + 1);
}

/// The OpenAPI document describes the Open311 routes as public, with their own error format
/// rather than problem documents (schemathesis checks the answers against it).
#[test]
fn open311_is_documented() {
    use utoipa::OpenApi;
    let doc: Value =
        serde_json::from_str(&zemstvo_web::ApiDoc::openapi().to_json().unwrap()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/open311/v2/services.json",
        "/open311/v2/services/{service_code}.json",
        "/open311/v2/requests.json",
        "/open311/v2/requests/{service_request_id}.json",
    ] {
        let item = paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is not documented"));
        for (method, op) in item.as_object().unwrap() {
            if !matches!(method.as_str(), "get" | "post") {
                continue;
            }
            assert_eq!(op["security"], json!([{}]), "{method} {path} is public");
            for (status, response) in op["responses"].as_object().unwrap() {
                let content = response["content"].as_object();
                if status.starts_with('4') || status.starts_with('5') {
                    let content = content.unwrap();
                    assert!(
                        content.contains_key("application/json")
                            && !content.contains_key("application/problem+json"),
                        "{method} {path} {status}: {response}"
                    );
                }
            }
        }
    }
    let post = &paths["/open311/v2/requests.json"]["post"];
    assert!(
        post["requestBody"]["content"]
            .get("application/x-www-form-urlencoded")
            .is_some()
    );
}

on_both_databases!(open311_services_and_requests, services_and_requests);
on_both_databases!(open311_refusals_store_nothing, refusals);
