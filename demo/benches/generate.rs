//! How long the seed-scale demo region takes to generate, printed:
//! `cargo bench -p zemstvo-demo --bench generate`.

use zemstvo_demo::{DemoScale, demo_region};

fn main() {
    let mut best = std::time::Duration::MAX;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let region = demo_region(DemoScale::SEED, 2026, 1_795_413_600);
        best = best.min(started.elapsed());
        std::hint::black_box(&region);
    }
    println!(
        "DemoScale::SEED generated in {} ms (best of 5)",
        best.as_millis()
    );
}
