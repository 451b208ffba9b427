//! `zemstvo:platform@0.2.0`, the newest version: its bindings, its linker registration, its
//! entry dispatch and the conversions of its types to the core types.
//!
//! New in 0.2.0: the run's context carries the region's IANA time zone and its UTC offset at
//! the run's time; `notify` answers `no-contact` to a plugin that may read contacts; the
//! `appeal-routing` world.

use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};
use zemstvo_core::appeals;
use zemstvo_core::metadata::{DeclaredMetadata, PluginKind};

use zemstvo_core::RunInput;

use crate::state::RunState;
use crate::wit::{Ended, RunContext};

wasmtime::component::bindgen!({
    world: "plugin-host",
    path: "../wit/since_v0.2.0",
    imports: { default: async | trappable },
    exports: { default: async },
    with: { "zemstvo:platform/data.cursor": crate::capabilities::data::CursorHandle },
});

every_version!();
notify_interface!(true, zemstvo::platform::notify::NotifyError::NoContact);

use entries::appeal_routing_entry as routing;

/// A 0.2.x plugin's entry point: a common kind, or an appeal router (new in 0.2.0).
#[derive(Clone)]
pub(crate) enum Entry {
    Common(CommonEntry),
    AppealRouting(routing::GuestIndices),
}

impl Entry {
    pub(crate) fn new(kind: PluginKind, pre: &InstancePre<RunState>) -> wasmtime::Result<Entry> {
        match CommonEntry::new(kind, pre) {
            Some(entry) => entry.map(Entry::Common),
            None => routing::GuestIndices::new(pre).map(Entry::AppealRouting),
        }
    }

    pub(crate) async fn metadata(
        &self,
        store: &mut Store<RunState>,
        instance: &Instance,
    ) -> wasmtime::Result<DeclaredMetadata> {
        match self {
            Entry::Common(entry) => entry.metadata(store, instance).await,
            Entry::AppealRouting(ix) => {
                let raw = ix.load(&mut *store, instance)?.call_metadata(store).await?;
                Ok(declared(raw))
            }
        }
    }

    pub(crate) async fn call(
        &self,
        store: &mut Store<RunState>,
        instance: &Instance,
        ctx: &RunContext,
        input: &RunInput,
    ) -> Ended {
        let ctx = zemstvo::platform::types::RunContext {
            run_id: ctx.run_id.clone(),
            region: ctx.region.clone(),
            now: ctx.now,
            time_zone: ctx.time_zone.name().to_string(),
            utc_offset_seconds: ctx.utc_offset_seconds,
        };
        match (self, input) {
            (Entry::Common(entry), input) => entry.call(store, instance, &ctx, input).await,
            (Entry::AppealRouting(ix), RunInput::Appeal(input)) => {
                let guest = match ix.load(&mut *store, instance) {
                    Ok(guest) => guest,
                    Err(e) => return Ended::Trap(e),
                };
                let incidents: Vec<_> = input.open_incidents.iter().map(open_incident).collect();
                match guest
                    .call_route(
                        &mut *store,
                        &ctx,
                        &appeal(&input.appeal),
                        &catalogue(&input.catalogue),
                        &incidents,
                    )
                    .await
                {
                    Ok(Ok(r)) => Ended::Routing(routing_answer(r)),
                    Ok(Err(e)) => Ended::PluginError(plugin_error(e)),
                    Err(e) => Ended::Trap(e),
                }
            }
            (Entry::AppealRouting(_), input) => Ended::wrong_input(input),
        }
    }
}

fn place(p: &appeals::Place) -> routing::Place {
    routing::Place {
        lat: p.lat,
        lon: p.lon,
        address: p.address.clone(),
    }
}

fn appeal(a: &appeals::Appeal) -> routing::Appeal {
    routing::Appeal {
        id: a.id,
        channel: a.channel.clone(),
        service_code: a.service_code.clone(),
        text: a.text.clone(),
        place: a.place.as_ref().map(place),
        territory: a.territory.clone(),
        received: a.received,
        attributes: a.attributes.clone(),
    }
}

fn urgency(u: appeals::Urgency) -> routing::Urgency {
    match u {
        appeals::Urgency::Low => routing::Urgency::Low,
        appeals::Urgency::Medium => routing::Urgency::Medium,
        appeals::Urgency::High => routing::Urgency::High,
        appeals::Urgency::Critical => routing::Urgency::Critical,
    }
}

fn impact(i: appeals::Impact) -> routing::Impact {
    match i {
        appeals::Impact::Individual => routing::Impact::Individual,
        appeals::Impact::Building => routing::Impact::Building,
        appeals::Impact::Street => routing::Impact::Street,
        appeals::Impact::District => routing::Impact::District,
        appeals::Impact::Region => routing::Impact::Region,
    }
}

fn catalogue(c: &appeals::Catalogue) -> routing::Catalogue {
    routing::Catalogue {
        version: c.version.clone(),
        categories: c
            .categories
            .iter()
            .map(|k| routing::Category {
                code: k.code.clone(),
                title: k.title.clone(),
                topic: k.topic.clone(),
                keywords: k.keywords.clone(),
                phrases: k.phrases.clone(),
                urgency: urgency(k.urgency),
                impact: impact(k.impact),
                deadline_days: k.deadline_days,
            })
            .collect(),
        authorities: c
            .authorities
            .iter()
            .map(|a| routing::Authority {
                code: a.code.clone(),
                title: a.title.clone(),
                topics: a.topics.clone(),
                territories: a.territories.clone(),
            })
            .collect(),
    }
}

fn open_incident(i: &appeals::OpenIncident) -> routing::OpenIncident {
    routing::OpenIncident {
        id: i.id,
        category: i.category.clone(),
        place: i.place.as_ref().map(place),
        territory: i.territory.clone(),
        opened: i.opened,
        appeals: i.appeals,
    }
}

fn routing_answer(r: routing::Routing) -> appeals::Routing {
    let c = r.classification;
    appeals::Routing {
        classification: appeals::Classification {
            category: c.category,
            catalogue_version: c.catalogue_version,
            urgency: match c.urgency {
                routing::Urgency::Low => appeals::Urgency::Low,
                routing::Urgency::Medium => appeals::Urgency::Medium,
                routing::Urgency::High => appeals::Urgency::High,
                routing::Urgency::Critical => appeals::Urgency::Critical,
            },
            impact: match c.impact {
                routing::Impact::Individual => appeals::Impact::Individual,
                routing::Impact::Building => appeals::Impact::Building,
                routing::Impact::Street => appeals::Impact::Street,
                routing::Impact::District => appeals::Impact::District,
                routing::Impact::Region => appeals::Impact::Region,
            },
            confidence: c.confidence,
        },
        authority: r.authority,
        deadline_days: r.deadline_days,
        merge_candidates: r
            .merge_candidates
            .into_iter()
            .map(|m| appeals::MergeCandidate {
                incident: m.incident,
                distance_m: m.distance_m,
                reason: m.reason,
            })
            .collect(),
        needs_review: r.needs_review,
        trace: r
            .trace
            .into_iter()
            .map(|t| zemstvo_core::eligibility::TraceStep {
                name: t.name,
                value: t.value,
                source: t.source,
            })
            .collect(),
    }
}
