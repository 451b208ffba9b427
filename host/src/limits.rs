//! The run's memory budget as wasmtime enforces it. The limits themselves (what a run may
//! consume and emit) are vocabulary shared with the store and the CLI: `zemstvo_core::limits`.

pub use zemstvo_core::limits::*;

/// What one table element costs the host, for the run's memory budget.
const TABLE_ELEMENT_BYTES: usize = 16;

/// What the limiter refused, so the run's record names the limit that was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The run's memories and tables together would pass its memory cap.
    MemoryCap,
    /// One table would pass [`MAX_TABLE_ELEMENTS`].
    TableElements,
}

/// The run's memory budget, as a wasmtime resource limiter: one sum over every linear memory
/// and table of the run, since a component may hold several.
#[derive(Debug)]
pub struct RunLimiter {
    memory_bytes: usize,
    /// Bytes held now by all memories and tables of the run.
    held: usize,
    /// The first growth that was refused, so a later trap can be reported as what it was.
    pub(crate) refused: Option<Refusal>,
    /// The most the run's memories and tables held at once, for the run's record.
    pub(crate) peak_memory: usize,
}

impl RunLimiter {
    pub fn new(memory_bytes: usize) -> Self {
        RunLimiter {
            memory_bytes,
            held: 0,
            refused: None,
            peak_memory: 0,
        }
    }

    /// Grows the sum by `desired - current` if it stays within the cap.
    fn grow(&mut self, current: usize, desired: usize) -> bool {
        let after = self.held.saturating_sub(current).saturating_add(desired);
        if after > self.memory_bytes {
            self.refused.get_or_insert(Refusal::MemoryCap);
            return false;
        }
        self.held = after;
        self.peak_memory = self.peak_memory.max(after);
        true
    }
}

impl wasmtime::ResourceLimiter for RunLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        Ok(self.grow(current, desired))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        if desired > MAX_TABLE_ELEMENTS {
            self.refused.get_or_insert(Refusal::TableElements);
            return Ok(false);
        }
        Ok(self.grow(
            current.saturating_mul(TABLE_ELEMENT_BYTES),
            desired.saturating_mul(TABLE_ELEMENT_BYTES),
        ))
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::ResourceLimiter;

    use super::*;

    #[test]
    fn the_memory_cap_is_one_sum_over_all_memories_and_tables() {
        let mut limiter = RunLimiter::new(100 << 20);
        // Two memories of 40 MiB each fit; a third of 40 MiB does not, though each alone would.
        assert!(limiter.memory_growing(0, 40 << 20, None).unwrap());
        assert!(limiter.memory_growing(0, 40 << 20, None).unwrap());
        assert!(!limiter.memory_growing(0, 40 << 20, None).unwrap());
        assert_eq!(limiter.refused, Some(Refusal::MemoryCap));
        assert_eq!(limiter.peak_memory, 80 << 20);
        // Growing one of them counts only the difference.
        assert!(limiter.memory_growing(40 << 20, 50 << 20, None).unwrap());
        assert_eq!(limiter.peak_memory, 90 << 20);
        // Tables count too.
        assert!(!limiter.table_growing(0, 1 << 20, None).unwrap());
    }

    #[test]
    fn a_table_past_its_element_cap_is_named() {
        let mut limiter = RunLimiter::new(1 << 30);
        assert!(
            !limiter
                .table_growing(0, MAX_TABLE_ELEMENTS + 1, None)
                .unwrap()
        );
        assert_eq!(limiter.refused, Some(Refusal::TableElements));
    }
}
