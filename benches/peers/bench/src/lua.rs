//! The rule in Lua through mlua, whichever Lua the crate links (LuaJIT in `peers-bench`, Lua
//! 5.4 in `peers-lua54`, which includes this file).
//!
//! Data reaches Lua as a Lua user after speed would pass it: one Lua array (sequence table)
//! per column, built from the Rust columns, and one call of a Lua function that loops over
//! them ([`peers_rule::LUA_RULE`]).

use std::time::{Duration, Instant};

use mlua::{Function, Lua};
use peers_rule::{DAY, Data, GAP_DAYS, HORIZON, LUA_RULE, NOW, Outcome};

/// One run: what it found, the time to build the tables and the time of the rule's call.
pub struct LuaRun {
    pub outcome: Outcome,
    pub data_in: Duration,
    pub rule: Duration,
}

impl LuaRun {
    pub fn total(&self) -> Duration {
        self.data_in + self.rule
    }
}

/// A Lua state with the rule loaded.
pub struct LuaRule {
    lua: Lua,
    rule: Function,
}

impl LuaRule {
    pub fn new() -> mlua::Result<LuaRule> {
        let lua = Lua::new();
        let rule = lua.load(LUA_RULE).set_name("rule").eval()?;
        Ok(LuaRule { lua, rule })
    }

    /// Builds the tables and runs the rule over them; the tables are garbage afterwards.
    pub fn run(&self, d: &Data) -> mlua::Result<LuaRun> {
        let lua = &self.lua;
        let started = Instant::now();
        let last = lua.create_sequence_from(d.last_inspection.iter().map(|&t| t as f64))?;
        let objects = lua.create_sequence_from(d.sig_object.iter().map(|&o| i64::from(o) + 1))?;
        let sources = lua.create_sequence_from(d.sig_source.iter().map(|&s| i64::from(s) + 1))?;
        let severities = lua.create_sequence_from(d.sig_severity.iter().map(|&s| f64::from(s)))?;
        let observed = lua.create_sequence_from(d.sig_observed.iter().map(|&t| t as f64))?;
        let data_in = started.elapsed();

        let started = Instant::now();
        let (c1, c2, c3, c4, c5, checksum): (f64, f64, f64, f64, f64, f64) = self.rule.call((
            d.objects() as i64,
            last,
            d.signals() as i64,
            objects,
            sources,
            severities,
            observed,
            NOW as f64,
            HORIZON as f64,
            (GAP_DAYS * DAY) as f64,
        ))?;
        let rule = started.elapsed();
        lua.gc_collect()?;
        Ok(LuaRun {
            outcome: Outcome {
                counts: [c1, c2, c3, c4, c5].map(|c| c as u64),
                checksum: checksum as i64,
            },
            data_in,
            rule,
        })
    }
}
