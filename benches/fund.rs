//! Fund kernel throughput on `scenarios/bench-10k.toml` (10,000 loans, 5 years, 50 PD levels,
//! 8 industries, fixed LGD): criterion reports the time per batch of paths; the throughput
//! line is in loan-years (scheduled loan-years per path × paths). Run on one thread and on
//! all threads: `cargo bench --bench fund`.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ipledge::fund::{FundModel, Settings, simulate};
use ipledge::scenario::Scenario;

const PATHS: u64 = 2048;

fn bench(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-10k.toml");
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
    let mut group = c.benchmark_group("fund");
    group.sample_size(10);
    group.throughput(Throughput::Elements(loan_years * PATHS));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        group.bench_function(format!("bench-10k/{PATHS}-paths/{threads}-threads"), |b| {
            b.iter(|| pool.install(|| simulate(&scenario, &settings).expect("runs")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
