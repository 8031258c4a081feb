//! Fund kernel throughput on the two benchmark books, on 1 and 2 threads: criterion reports
//! the time per batch of paths; the throughput line is in loan-years (scheduled loan-years
//! per path × paths). `cargo bench --bench fund`.
//!
//! * `scenarios/bench-10k.toml`: 10,000 five-year bullet loans, 50 lognormal PD levels around
//!   2 %, 8 industries, fixed LGD, limited liability.
//! * `scenarios/bench-hard.toml`: the harder book: 50 PD levels evenly from 0.5 % to 8 %,
//!   ρ 0.15, sector share 0.3, a per-loan cap, unlimited liability (about 1,900 defaults per
//!   path).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ipledge::fund::{FundModel, Settings, simulate};
use ipledge::scenario::Scenario;

const PATHS: u64 = 2048;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("fund");
    group.sample_size(10);
    for book in ["bench-10k", "bench-hard"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{book}.toml"));
        let scenario = Scenario::from_file(&path).expect("the bench scenario is valid");
        let loan_years: u64 = scenario
            .book
            .cohorts
            .iter()
            .map(|c| {
                let months = c.tenor_months[0]
                    .0
                    .min((scenario.horizon_years + 1 - c.year) * 12);
                u64::from(c.count) * u64::from(months) / 12
            })
            .sum();
        let mut settings = Settings::for_scenario(&scenario, FundModel::embedded_default());
        settings.paths = PATHS;
        group.throughput(Throughput::Elements(loan_years * PATHS));
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            group.bench_function(format!("{book}/{PATHS}-paths/{threads}-threads"), |b| {
                b.iter(|| pool.install(|| simulate(&scenario, &settings).expect("runs")))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
