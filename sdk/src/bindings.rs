//! Generated bindings of `zemstvo:platform@0.2.0`, one module per plugin world.
//!
//! You rarely need these directly: the rest of the SDK wraps them. The import interfaces are
//! generated once (in `deviation_check`) and shared by the other worlds, so a `data::Batch`
//! is the same type whichever kind of plugin you write.

/// The deviation-check world; also the home of every shared import interface.
pub mod deviation_check {
    wit_bindgen::generate!({
        world: "deviation-check",
        path: "../wit/since_v0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_deviation_check_world",
        default_bindings_module: "zemstvo_sdk::bindings::deviation_check",
    });
}

/// The eligibility-rule world.
pub mod eligibility_rule {
    wit_bindgen::generate!({
        world: "eligibility-rule",
        path: "../wit/since_v0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_eligibility_rule_world",
        default_bindings_module: "zemstvo_sdk::bindings::eligibility_rule",
        with: {
            "zemstvo:platform/types@0.2.0": crate::bindings::deviation_check::zemstvo::platform::types,
            "zemstvo:platform/smev@0.2.0": crate::bindings::deviation_check::zemstvo::platform::smev,
            "zemstvo:platform/log@0.2.0": crate::bindings::deviation_check::zemstvo::platform::log,
            "zemstvo:platform/config@0.2.0": crate::bindings::deviation_check::zemstvo::platform::config,
        },
    });
}

/// The risk-scoring world.
pub mod risk_scoring {
    wit_bindgen::generate!({
        world: "risk-scoring",
        path: "../wit/since_v0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_risk_scoring_world",
        default_bindings_module: "zemstvo_sdk::bindings::risk_scoring",
        with: {
            "zemstvo:platform/types@0.2.0": crate::bindings::deviation_check::zemstvo::platform::types,
            "zemstvo:platform/data@0.2.0": crate::bindings::deviation_check::zemstvo::platform::data,
            "zemstvo:platform/tasks@0.2.0": crate::bindings::deviation_check::zemstvo::platform::tasks,
            "zemstvo:platform/log@0.2.0": crate::bindings::deviation_check::zemstvo::platform::log,
            "zemstvo:platform/config@0.2.0": crate::bindings::deviation_check::zemstvo::platform::config,
        },
    });
}

/// The geo-check world.
pub mod geo_check {
    wit_bindgen::generate!({
        world: "geo-check",
        path: "../wit/since_v0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_geo_check_world",
        default_bindings_module: "zemstvo_sdk::bindings::geo_check",
        with: {
            "zemstvo:platform/types@0.2.0": crate::bindings::deviation_check::zemstvo::platform::types,
            "zemstvo:platform/data@0.2.0": crate::bindings::deviation_check::zemstvo::platform::data,
            "zemstvo:platform/tasks@0.2.0": crate::bindings::deviation_check::zemstvo::platform::tasks,
            "zemstvo:platform/log@0.2.0": crate::bindings::deviation_check::zemstvo::platform::log,
            "zemstvo:platform/config@0.2.0": crate::bindings::deviation_check::zemstvo::platform::config,
        },
    });
}

/// The appeal-routing world.
pub mod appeal_routing {
    wit_bindgen::generate!({
        world: "appeal-routing",
        path: "../wit/since_v0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_appeal_routing_world",
        default_bindings_module: "zemstvo_sdk::bindings::appeal_routing",
        with: {
            "zemstvo:platform/types@0.2.0": crate::bindings::deviation_check::zemstvo::platform::types,
            "zemstvo:platform/log@0.2.0": crate::bindings::deviation_check::zemstvo::platform::log,
            "zemstvo:platform/config@0.2.0": crate::bindings::deviation_check::zemstvo::platform::config,
        },
    });
}
