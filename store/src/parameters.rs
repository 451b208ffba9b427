//! A region's own entries in plugins' effective-dated parameters: when a new act changes an
//! amount from a date, the administrator adds an entry and the next run uses it, with no new
//! build of the plugin. Checking an entry against the plugin's declaration is the service's
//! job; the store keeps entries and their audit trail.

use serde::Serialize;
use zemstvo_core::capabilities::config::ParameterValue;

use crate::{Store, StoreError, audit, now};

/// An entry the region added, with who added it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParameterEntry {
    pub plugin: String,
    pub name: String,
    pub value: ParameterValue,
    pub added_by: String,
    pub added_at: i64,
}

/// What adding an entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryChange {
    Added,
    /// The region already had an entry for that date; its value was replaced.
    Replaced,
}

type EntryRow = (String, String, i64, f64, String, String, String, i64);

impl Store {
    /// The region's entries for `plugin`, by parameter and date.
    pub async fn parameter_entries(&self, plugin: &str) -> Result<Vec<ParameterEntry>, StoreError> {
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT plugin, name, effective_from, value, unit, legal_basis, added_by, added_at \
             FROM parameter_entries WHERE plugin = $1 ORDER BY name, effective_from",
        )
        .bind(plugin.to_string())
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(plugin, name, effective_from, value, unit, legal_basis, added_by, added_at)| {
                    ParameterEntry {
                        plugin,
                        name,
                        value: ParameterValue {
                            effective_from,
                            value,
                            unit,
                            legal_basis,
                        },
                        added_by,
                        added_at,
                    }
                },
            )
            .collect())
    }

    /// Adds (or, for a date the region already has, replaces) an entry, audited.
    pub async fn put_parameter_entry(
        &self,
        plugin: &str,
        name: &str,
        value: &ParameterValue,
        actor: &str,
    ) -> Result<EntryChange, StoreError> {
        let mut tx = self.begin_write().await?;
        let previous: Option<(f64, String, String)> = sqlx::query_as(
            "SELECT value, unit, legal_basis FROM parameter_entries \
             WHERE plugin = $1 AND name = $2 AND effective_from = $3",
        )
        .bind(plugin.to_string())
        .bind(name.to_string())
        .bind(value.effective_from)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO parameter_entries (plugin, name, effective_from, value, unit, legal_basis, added_by, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (plugin, name, effective_from) DO UPDATE SET \
             value = excluded.value, unit = excluded.unit, legal_basis = excluded.legal_basis, \
             added_by = excluded.added_by, added_at = excluded.added_at",
        )
        .bind(plugin.to_string())
        .bind(name.to_string())
        .bind(value.effective_from)
        .bind(value.value)
        .bind(value.unit.clone())
        .bind(value.legal_basis.clone())
        .bind(actor.to_string())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "parameter-set",
            plugin,
            serde_json::json!({
                "parameter": name,
                "entry": value,
                "replaced": previous.as_ref().map(|(v, unit, basis)| serde_json::json!({
                    "value": v, "unit": unit, "legal_basis": basis,
                })),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(if previous.is_some() {
            EntryChange::Replaced
        } else {
            EntryChange::Added
        })
    }

    /// Removes the region's entry for `name` from `effective_from`; false when there is none.
    pub async fn remove_parameter_entry(
        &self,
        plugin: &str,
        name: &str,
        effective_from: i64,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query(
            "DELETE FROM parameter_entries WHERE plugin = $1 AND name = $2 AND effective_from = $3",
        )
        .bind(plugin.to_string())
        .bind(name.to_string())
        .bind(effective_from)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if removed {
            audit::record(
                &mut *tx,
                actor,
                "parameter-remove",
                plugin,
                serde_json::json!({ "parameter": name, "effective_from": effective_from }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }
}
